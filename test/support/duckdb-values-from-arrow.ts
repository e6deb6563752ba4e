import {
  DuckDBArrayValue,
  DuckDBBitValue,
  DuckDBBlobValue,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBIntervalValue,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTimeTZValue,
  DuckDBTimeValue,
  DuckDBUnionValue,
  DuckDBUUIDValue,
  type DuckDBValue,
} from "@duckdb/node-api";
import {
  type Data,
  DataType,
  DateUnit,
  Field,
  IntervalUnit,
  Precision,
  type Table,
  TimeUnit,
  Type,
  UnionMode,
} from "apache-arrow";

/*
 * Turns the Arrow that DuckDB exports losslessly back into the values @duckdb/node-api returns for the same
 * data, so that a result read through OpenDuck can be compared with a local DuckDB value by value.
 *
 * Values are read from the Arrow buffers, not with apache-arrow's `get()`: that converts timestamps to JS
 * numbers of milliseconds (losing micro/nanoseconds, and throwing on the ±infinity sentinels), decimals to
 * raw 32-bit words, bool8 to numbers and unions to their bare member value (dropping the tag). Anything this
 * module does not recognise throws, so an unexpected Arrow type (a widened or stringified column) fails the
 * comparison instead of slipping through.
 */

/**
 * The DuckDB type an extension field carries: `arrow.uuid`, `arrow.json`, `arrow.bool8`, or `duckdb.<type>`
 * for DuckDB's own types, which DuckDB 1.4 writes as `arrow.opaque` with vendor and type name in the
 * extension metadata.
 */
export function extensionName(field: Field): string | undefined {
  const name = field.metadata.get("ARROW:extension:name");
  if (name !== "arrow.opaque") return name;
  const opaque = JSON.parse(field.metadata.get("ARROW:extension:metadata") ?? "{}") as {
    vendor_name?: string;
    type_name?: string;
  };
  return `${opaque.vendor_name?.toLowerCase()}.${opaque.type_name}`;
}

/** Every row of `table` as node-api values, column by column (`result[column][row]`). */
export function duckdbColumnsFromArrow(table: Table): DuckDBValue[][] {
  return table.schema.fields.map((field, column) => {
    const values: DuckDBValue[] = [];
    for (const data of table.getChildAt(column)?.data ?? []) {
      for (let row = 0; row < data.length; row++) {
        try {
          values.push(duckdbValueFromArrow(field, data, row));
        } catch (error) {
          throw new Error(`column ${field.name}, row ${values.length}: ${(error as Error).message}`);
        }
      }
    }
    return values;
  });
}

export function duckdbValueFromArrow(field: Field, data: Data, index: number): DuckDBValue {
  // Results read from IPC are never sliced; honouring offsets is not worth the code here.
  if (data.offset !== 0) throw new Error(`${field.name}: sliced Arrow data is not supported`);
  const type: DataType = field.type;
  const extension = extensionName(field);
  const fail = (): never => {
    throw new Error(`${field.name}: unexpected Arrow type ${type}${extension ? ` (${extension})` : ""}`);
  };
  if (extension !== undefined && !knownExtensions.has(extension)) fail();
  // A union has no validity bitmap of its own: a slot is null when its selected member is.
  if (DataType.isUnion(type)) {
    const typeId = (data.typeIds as Int8Array)[index] ?? fail();
    const child = type.typeIdToChildIndex[typeId] ?? fail();
    const offset =
      type.mode === UnionMode.Dense ? ((data.valueOffsets as Int32Array)[index] ?? fail()) : index;
    const member = type.children[child] ?? fail();
    const value = duckdbValueFromArrow(member, data.children[child] ?? fail(), offset);
    return value === null ? null : new DuckDBUnionValue(member.name, value);
  }
  if (!data.getValid(index)) return null;
  // The value buffer, typed by the storage type (bytes for binary, bits for Bool, 32-bit words for Decimal).
  const values = data.values as ArrayLike<number | bigint> & ArrayBufferView;
  const at = <T>(array: ArrayLike<T>, i: number): T => (i < array.length ? (array[i] as T) : fail());
  switch (type.typeId) {
    case Type.Null:
      return null;
    case Type.Bool:
      return ((at(bytesOf(values), index >> 3) >> (index & 7)) & 1) === 1;
    case Type.Int: {
      const value = at(values, index);
      if (extension !== "arrow.bool8") return value;
      // Arrow allows any non-zero byte for true; DuckDB writes 0 or 1, so anything else is not its value.
      if (value !== 0 && value !== 1) throw new Error(`${field.name}: ${value} is not a bool8 DuckDB writes`);
      return value === 1;
    }
    case Type.Float:
      if (!DataType.isFloat(type) || type.precision === Precision.HALF) return fail();
      return at(values as Float32Array | Float64Array, index);
    case Type.Decimal: {
      if (!DataType.isDecimal(type)) return fail();
      const bytes = type.bitWidth / 8;
      const raw = littleEndian(sliceBytes(values, index * bytes, bytes), true);
      return new DuckDBDecimalValue(raw, type.precision, type.scale);
    }
    case Type.Date:
      if (!DataType.isDate(type) || type.unit !== DateUnit.DAY) return fail();
      return new DuckDBDateValue(at(values as Int32Array, index));
    case Type.Time:
      if (!DataType.isTime(type) || type.unit !== TimeUnit.MICROSECOND) return fail();
      return new DuckDBTimeValue(at(values as BigInt64Array, index));
    case Type.Timestamp: {
      if (!DataType.isTimestamp(type)) return fail();
      const value = at(values as BigInt64Array, index);
      if (type.timezone) {
        // TIMESTAMPTZ: an instant in UTC microseconds; the zone is only the server session's display zone.
        return type.unit === TimeUnit.MICROSECOND ? new DuckDBTimestampTZValue(value) : fail();
      }
      switch (type.unit) {
        case TimeUnit.SECOND:
          return new DuckDBTimestampSecondsValue(value);
        case TimeUnit.MILLISECOND:
          return new DuckDBTimestampMillisecondsValue(value);
        case TimeUnit.MICROSECOND:
          return new DuckDBTimestampValue(value);
        case TimeUnit.NANOSECOND:
          return new DuckDBTimestampNanosecondsValue(value);
      }
      return fail();
    }
    case Type.Interval: {
      if (!DataType.isInterval(type) || type.unit !== IntervalUnit.MONTH_DAY_NANO) return fail();
      // Per value: int32 months, int32 days, int64 nanoseconds.
      const view = new DataView(values.buffer, values.byteOffset + index * 16, 16);
      const nanos = view.getBigInt64(8, true);
      // DuckDB keeps microseconds: a remainder means the nanoseconds are not what DuckDB had (e.g. wrapped).
      if (nanos % 1000n !== 0n) throw new Error(`${field.name}: ${nanos} ns is not a whole number of µs`);
      return new DuckDBIntervalValue(view.getInt32(0, true), view.getInt32(4, true), nanos / 1000n);
    }
    case Type.Utf8: // VARCHAR, and JSON (arrow.json)
      return new TextDecoder("utf-8", { fatal: true }).decode(variableBytes(data, index));
    case Type.Binary: {
      const bytes = variableBytes(data, index);
      if (extension === "duckdb.bit") return new DuckDBBitValue(bytes);
      if (extension === "duckdb.bignum") return bigintFromBignum(bytes);
      return extension === undefined ? new DuckDBBlobValue(bytes) : fail();
    }
    case Type.FixedSizeBinary: {
      if (!DataType.isFixedSizeBinary(type)) return fail();
      const bytes = sliceBytes(values, index * type.byteWidth, type.byteWidth);
      switch (extension) {
        case "duckdb.hugeint":
          return littleEndian(bytes, true);
        case "duckdb.uhugeint":
          return littleEndian(bytes, false);
        case "arrow.uuid": // the 16 bytes of the UUID in their canonical (big-endian) order
          return DuckDBUUIDValue.fromUint128(littleEndian(bytes.slice().reverse(), false));
        case "duckdb.time_tz": // DuckDB's dtime_tz_t: micros << 24 | encoded offset
          return DuckDBTimeTZValue.fromBits(littleEndian(bytes, false));
      }
      return fail();
    }
    case Type.Dictionary: {
      // ENUM: the indices point into the dictionary of all the ENUM's values.
      if (!DataType.isDictionary(type) || data.dictionary === undefined) return fail();
      let position = Number(at(values, index));
      for (const chunk of data.dictionary.data) {
        if (position < chunk.length) {
          return duckdbValueFromArrow(new Field("", type.dictionary), chunk, position);
        }
        position -= chunk.length;
      }
      return fail();
    }
    case Type.List: {
      const [start, end] = listRange(data, index);
      const child = type.children[0] ?? fail();
      return new DuckDBListValue(range(start, end).map((i) => convertChild(child, data, 0, i)));
    }
    case Type.FixedSizeList: {
      if (!DataType.isFixedSizeList(type)) return fail();
      const start = index * type.listSize;
      const items = range(start, start + type.listSize).map((i) => convertChild(type.valueField, data, 0, i));
      return new DuckDBArrayValue(items);
    }
    case Type.Struct: {
      const entries: Record<string, DuckDBValue> = {};
      type.children.forEach((child: Field, i: number) => {
        entries[child.name] = convertChild(child, data, i, index);
      });
      return new DuckDBStructValue(entries);
    }
    case Type.Map: {
      const [start, end] = listRange(data, index);
      const entriesField = type.children[0] ?? fail();
      const entriesData = data.children[0] ?? fail();
      const [keyField, valueField] = entriesField.type.children as [Field, Field];
      return new DuckDBMapValue(
        range(start, end).map((i) => ({
          key: convertChild(keyField, entriesData, 0, i),
          value: convertChild(valueField, entriesData, 1, i),
        })),
      );
    }
  }
  return fail();
}

const knownExtensions = new Set([
  "arrow.bool8",
  "arrow.json",
  "arrow.uuid",
  "duckdb.hugeint",
  "duckdb.uhugeint",
  "duckdb.time_tz",
  "duckdb.bit",
  "duckdb.bignum",
]);

function convertChild(field: Field, parent: Data, child: number, index: number): DuckDBValue {
  const data = parent.children[child];
  if (!data) throw new Error(`${field.name}: missing child data`);
  return duckdbValueFromArrow(field, data, index);
}

function range(start: number, end: number): number[] {
  return Array.from({ length: end - start }, (_, i) => start + i);
}

function listRange(data: Data, index: number): [number, number] {
  const offsets = data.valueOffsets as Int32Array;
  const start = offsets[index];
  const end = offsets[index + 1];
  if (start === undefined || end === undefined) throw new Error("list offsets out of range");
  return [start, end];
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** A copy of `length` bytes of `view` from `byteOffset`. */
function sliceBytes(view: ArrayBufferView, byteOffset: number, length: number): Uint8Array {
  const bytes = bytesOf(view);
  if (byteOffset + length > bytes.length) throw new Error("value out of range");
  return bytes.slice(byteOffset, byteOffset + length);
}

function variableBytes(data: Data, index: number): Uint8Array {
  const [start, end] = listRange(data, index);
  return sliceBytes(data.values as Uint8Array, start, end - start);
}

/** A little-endian two's complement (or unsigned) integer of any width. */
function littleEndian(bytes: Uint8Array, signed: boolean): bigint {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i] ?? 0);
  return signed ? BigInt.asIntN(bytes.length * 8, value) : value;
}

/**
 * DuckDB's BIGNUM blob: a 3-byte header whose top bit says "positive", then the big-endian magnitude; every
 * bit is inverted when the number is negative (as node-api decodes it).
 */
function bigintFromBignum(bytes: Uint8Array): bigint {
  const positive = ((bytes[0] ?? 0) & 0x80) !== 0;
  let magnitude = 0n;
  for (const byte of bytes.subarray(3)) magnitude = (magnitude << 8n) | BigInt(positive ? byte : byte ^ 0xff);
  return positive ? magnitude : -magnitude;
}

/**
 * A form of a node-api value for deep equality that keeps what `toEqual` would blur: the value class (a
 * TIMESTAMP_S is not a TIMESTAMP), number vs bigint, -0 and NaN, the bytes of blobs, and DuckDB's own text
 * (`toString()`) next to every field of the value.
 */
export function canonical(value: unknown): unknown {
  switch (typeof value) {
    case "number":
      return `number:${Object.is(value, -0) ? "-0" : value}`;
    case "bigint":
      return `bigint:${value}`;
    case "string":
    case "boolean":
      return value;
    case "object":
      if (value === null) return null;
      if (value instanceof Uint8Array) return `bytes:${Buffer.from(value).toString("hex")}`;
      if (Array.isArray(value)) return value.map(canonical);
      if (Object.getPrototypeOf(value) === Object.prototype) {
        return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, canonical(entry)]));
      }
      return {
        class: value.constructor.name,
        text: String(value),
        fields: canonical({ ...value }),
      };
  }
  throw new Error(`cannot compare a ${typeof value}`);
}
