import type { Bytes } from '../../core/byte-buffer.js';

/** Thrift compact protocol type codes (field headers and list element types). */
export const TType = { True: 1, False: 2, I32: 5, I64: 6, Binary: 8, List: 9, Struct: 12 } as const;
type TTypeCode = (typeof TType)[keyof typeof TType];

const zigzag = (v: number): number => (v >= 0 ? v * 2 : -v * 2 - 1);

/**
 * Writes Thrift compact-protocol structs (Parquet's page headers and footer) field by field: the
 * caller names each field's id in increasing order within a struct, as the Parquet Thrift IDL
 * numbers them, and closes each struct it opens.
 */
export class CompactWriter {
  /** The last field id written in each open struct, innermost last. */
  readonly #ids: number[] = [];
  #id = 0;

  constructor(readonly out: Bytes) {}

  #field(id: number, type: number): void {
    const delta = id - this.#id;
    if (delta > 0 && delta <= 15) this.out.u8((delta << 4) | type);
    else {
      this.out.u8(type);
      this.out.varint(zigzag(id));
    }
    this.#id = id;
  }

  i32(id: number, v: number): void {
    this.#field(id, TType.I32);
    this.out.varint(zigzag(v));
  }

  i64(id: number, v: number): void {
    this.#field(id, TType.I64);
    this.out.varint(zigzag(v));
  }

  bool(id: number, v: boolean): void {
    this.#field(id, v ? TType.True : TType.False);
  }

  binary(id: number, b: Uint8Array): void {
    this.#field(id, TType.Binary);
    this.#lengthAndBytes(b);
  }

  string(id: number, s: string): void {
    this.binary(id, Buffer.from(s, 'utf8'));
  }

  /** Opens a struct field; its fields follow, then end(). */
  struct(id: number): void {
    this.#field(id, TType.Struct);
    this.#open();
  }

  /** Opens a list field of `size` elements of `type`; struct elements are each opened with element() and closed with end(). */
  list(id: number, type: TTypeCode, size: number): void {
    this.#field(id, TType.List);
    if (size < 15) this.out.u8((size << 4) | type);
    else {
      this.out.u8(0xf0 | type);
      this.out.varint(size);
    }
  }

  /** An i32 list element. */
  i32Element(v: number): void {
    this.out.varint(zigzag(v));
  }

  /** A string list element. */
  stringElement(s: string): void {
    this.#lengthAndBytes(Buffer.from(s, 'utf8'));
  }

  /** A binary's body: its length, then its bytes. */
  #lengthAndBytes(b: Uint8Array): void {
    this.out.varint(b.length);
    this.out.bytes(b);
  }

  /** Opens a struct list element (or the outermost struct); end() closes it. */
  element(): void {
    this.#open();
  }

  end(): void {
    this.out.u8(0);
    this.#id = this.#ids.pop() ?? 0;
  }

  #open(): void {
    this.#ids.push(this.#id);
    this.#id = 0;
  }
}
