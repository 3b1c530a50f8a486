/**
 * Boundary checks for the inputs GraphQL types cannot bound: lengths of sign-in, login and
 * developer-identity fields, and the admin API's new pools, which must satisfy the same rules as
 * a pool in the config file. Sync inputs (dataset names, keys, device and mutation ids) are
 * checked by `server/sync` with the shared `core/limits` asserts. Failures are BAD_USER_INPUT
 * naming the field.
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { SyncpoolError } from "../../core/errors.js";
import { describeZodError, joinPath, poolSettingsSchema, type PoolSettings } from "../config.js";
import type { DeveloperIdentityInput } from "../identity/developer-identities.js";
import type { SignInInput } from "../identity/sign-in.js";
import type { LoginInput } from "../identity/verify-logins.js";
import type { IdentityProof } from "../identity/prove-identity.js";

const bounded = (max: number) => z.string().min(1, { error: "expected a non-empty string" }).max(max, { error: `expected at most ${max} characters` });

const loginSchema = z.object({ provider: bounded(256), token: bounded(16_384) });

const signInSchema = z.object({
  identityPoolId: bounded(55),
  identityId: bounded(55).nullish(),
  deviceSecret: bounded(256).nullish(),
  logins: z.array(loginSchema).max(10, { error: "expected at most 10 logins" }).nullish(),
});

/** The sign-in input, bounded. */
export function parseSignInInput(input: unknown): SignInInput {
  return parseOrThrow(signInSchema, input);
}

const developerIdentitySchema = z.object({
  identityPoolId: bounded(55),
  // Cognito's DeveloperUserIdentifier: 1-128 characters.
  developerUserId: bounded(128),
  identityId: bounded(55).nullish(),
});

/** `getTokenForDeveloperIdentity`'s arguments, bounded. */
export function parseDeveloperIdentityInput(input: unknown): DeveloperIdentityInput {
  return parseOrThrow(developerIdentitySchema, input);
}

/** `linkLogin`'s login, bounded like a sign-in login. */
export function parseLoginInput(input: unknown): LoginInput {
  return parseOrThrow(z.object({ login: loginSchema }), { login: input }).login;
}

const proofSchema = z.object({ deviceSecret: bounded(256).nullish(), login: loginSchema.nullish(), developerKey: bounded(256).nullish() });

/** `linkLogin` / `unlinkLogin`'s `proof`, bounded; null when absent. */
export function parseProofInput(input: unknown): IdentityProof | null {
  if (input === undefined || input === null) return null;
  return parseOrThrow(z.object({ proof: proofSchema }), { proof: input }).proof;
}

/** A single bounded string argument (`unlinkLogin`'s provider, `disableIdentity`'s id...). */
export function parseBoundedArgument(field: string, value: unknown, max: number): string {
  return parseOrThrow(z.object({ [field]: bounded(max) }), { [field]: value })[field] as string;
}

/** `createIdentityPool`'s input as GraphQL delivers it (absent and null look alike). */
export interface CreateIdentityPoolInput {
  id?: string | null;
  region?: string | null;
  allowGuests?: boolean | null;
  limits?: Record<string, number | null | undefined> | null;
}

/**
 * A new pool's settings: nulls dropped, an id generated as `<region>:<uuid>` when absent, then
 * the config file's rules and defaults applied.
 */
export function parseCreateIdentityPoolInput(input: CreateIdentityPoolInput): PoolSettings {
  const region = input.region ?? "local";
  const candidate = withoutNulls({
    id: input.id ?? `${region}:${randomUUID()}`,
    region,
    allowGuests: input.allowGuests,
    limits: input.limits ? withoutNulls(input.limits) : undefined,
  });
  return parseOrThrow(poolSettingsSchema, candidate);
}

function withoutNulls<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== null && field !== undefined)) as Partial<T>;
}

function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  const first = result.error.issues[0];
  // Fields are named relative to the input object, as server/sync names push fields.
  throw new SyncpoolError("BAD_USER_INPUT", describeZodError(result.error, ""), { field: joinPath(first?.path ?? []) });
}
