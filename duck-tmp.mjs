import { DuckDBInstance } from '@duckdb/node-api';
import { writeFileSync } from 'node:fs';
const db = await (await DuckDBInstance.create(':memory:')).connect();
const q = async (s) => { try { return JSON.stringify((await db.runAndReadAll(s)).getRowObjectsJson()); } catch (e) { return 'ERR ' + e.message.split('\n')[0]; } };
for (const b of [0x41, 0x1f, 0x80, 0x9f, 0xa0, 0xc3, 0xff]) {
  writeFileSync('/tmp/t1.tsv', Buffer.from([0x61, 0x0a, 0x62, b, 0x63, 0x0a]));
  console.log(b.toString(16), await q(`SELECT * FROM read_csv('/tmp/t1.tsv', columns={'l':'VARCHAR'}, header=false, delim='\t', quote='', escape='', auto_detect=false, encoding='latin-1')`));
}
console.log(await q(`SELECT * FROM read_csv('/tmp/t1.tsv', columns={'l':'VARCHAR'}, header=false, delim=chr(31)||chr(30), quote='', escape='', auto_detect=false)`));
console.log(await q(`SELECT * FROM read_csv('/tmp/t1.tsv', columns={'l':'VARCHAR'}, header=false, delim=chr(31)||chr(30)||chr(29)||chr(28), quote='', escape='', auto_detect=false)`));
