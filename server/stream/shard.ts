/**
 * Which shard an identity's events go to. Every event of one identity lands in one shard, so a
 * reader of that shard sees the identity's changes in commit order. The rule is public (see
 * docs/events.md) so tools outside can find an identity's shard: the first four bytes of the MD5
 * of the identity id, read as a big-endian unsigned integer, modulo the pool's shard count.
 * MD5 is used for spreading, as Kinesis does with partition keys, not for security.
 */
import { createHash } from "node:crypto";

/** The shard (0 … shards - 1) of `identityId` in a pool with `shards` shards. */
export function shardOf(identityId: string, shards: number): number {
  return createHash("md5").update(identityId, "utf8").digest().readUInt32BE(0) % shards;
}
