/**
 * The `Timestamp` scalar: epoch milliseconds as a JSON number. The scalar checks the type only:
 * an integer within the range of `Date` (±8.64e15 ms), so every value is a real instant. A
 * fractional or out-of-range value is refused by GraphQL as an invalid variable or argument
 * (BAD_USER_INPUT). Whether an instant is plausible for its field (a device time before 1970,
 * say) is a sync rule, checked by `server/sync` with the field named.
 */
import { GraphQLScalarType, Kind } from "graphql";

const MAX_EPOCH_MS = 8_640_000_000_000_000;

function checkTimestamp(value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || Math.abs(value) > MAX_EPOCH_MS) {
    // A plain error: GraphQL wraps it with the variable or argument at fault and its location.
    throw new TypeError("Timestamp must be an integer of epoch milliseconds");
  }
  return value;
}

/** The resolver map entry for `scalar Timestamp`. */
export const TimestampScalar = new GraphQLScalarType<number, number>({
  name: "Timestamp",
  description: "Epoch milliseconds, as a JSON number.",
  serialize: (value) => {
    // A server bug if it fails: the error is masked and logged like any other.
    if (typeof value !== "number" || !Number.isSafeInteger(value)) throw new TypeError(`Timestamp cannot serialize ${String(value)}`);
    return value;
  },
  parseValue: checkTimestamp,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.INT) throw new TypeError("Timestamp must be an integer literal of epoch milliseconds");
    return checkTimestamp(Number(ast.value));
  },
});
