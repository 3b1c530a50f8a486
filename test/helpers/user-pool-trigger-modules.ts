/**
 * Trigger modules for the user-pool trigger tests, written as an app developer would write Lambda
 * handlers (ESM, `handler` or default exports, async or callback style), into a temporary
 * directory removed when the process exits. Each module appends the event it received to
 * `events.jsonl` in that directory, so a test can check the exact event Cognito's shape asks for.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const RECORD = `
import { appendFileSync } from "node:fs";
export const record = (event) => appendFileSync(new URL("./events.jsonl", import.meta.url), JSON.stringify(event) + "\\n");
`;

/** The modules by file name. */
const MODULES: Record<string, string> = {
  "record.mjs": RECORD,
  "pre-sign-up.mjs": `
import { record } from "./record.mjs";
export const handler = async (event) => {
  record(event);
  if (event.userName.startsWith("blocked")) throw new Error("Sign-ups from this name are closed");
  if (event.request.userAttributes.email?.endsWith("@trusted.example")) {
    event.response.autoConfirmUser = true;
    event.response.autoVerifyEmail = true;
  }
  return event;
};`,
  "post-confirmation.mjs": `
import { record } from "./record.mjs";
export default function (event, context, callback) {
  record(event);
  callback(null, event);
}`,
  "pre-authentication.mjs": `
import { record } from "./record.mjs";
export const handler = async (event) => {
  record(event);
  if (event.request.userAttributes["custom:banned"] === "yes") throw new Error("This account is suspended");
  return event;
};`,
  "post-authentication.mjs": `
import { record } from "./record.mjs";
export const handler = async (event) => {
  record(event);
  // A trigger that never answers, for users marked so: the sign-in must end at the time limit.
  if (event.request.userAttributes["custom:stuck"] === "yes") return new Promise(() => {});
  return event;
};`,
  "pre-token-generation.mjs": `
import { record } from "./record.mjs";
export const handler = async (event) => {
  record(event);
  event.response = {
    claimsOverrideDetails: {
      claimsToAddOrOverride: { plan: event.request.userAttributes["custom:plan"] ?? "free", sub: "someone-else", token_use: "access" },
      claimsToSuppress: ["custom:plan", "iss"],
      groupOverrideDetails: { groupsToOverride: ["beta-testers", ...event.request.groupConfiguration.groupsToOverride] },
    },
  };
  return event;
};`,
  "custom-message.mjs": `
import { record } from "./record.mjs";
export const handler = async (event) => {
  record(event);
  if (event.request.clientMetadata.template === "broken") {
    event.response.emailMessage = "Welcome! (the code was forgotten)";
    return event;
  }
  if (event.triggerSource === "CustomMessage_AdminCreateUser") {
    event.response.emailSubject = "Your Example Notes account";
    event.response.emailMessage = "Sign in to Example Notes as " + event.request.usernameParameter + " with " + event.request.codeParameter + ".";
  }
  if (event.triggerSource === "CustomMessage_SignUp") {
    event.response.emailSubject = "Welcome to Example Notes";
    event.response.emailMessage = "Hello " + event.userName + ", your Example Notes code is " + event.request.codeParameter + ".";
  }
  return event;
};`,
  "user-migration.mjs": `
import { record } from "./record.mjs";
const legacy = {
  "legacy-lee": { password: "Old-password-1", email: "lee@example.com" },
  "legacy-kim": { password: "Old-password-2", email: "kim@example.com" },
};
export const handler = async (event) => {
  record({ ...event, request: { ...event.request, password: event.request.password ? "(given)" : undefined } });
  const found = legacy[event.userName];
  if (!found) throw new Error("User does not exist in the old system");
  if (event.triggerSource === "UserMigration_Authentication" && event.request.password !== found.password) throw new Error("Bad password");
  event.response.userAttributes = { email: found.email, email_verified: "true", "custom:plan": "legacy" };
  event.response.finalUserStatus = "CONFIRMED";
  event.response.messageAction = "SUPPRESS";
  return event;
};`,
  "define-auth-challenge.mjs": `
import { record } from "./record.mjs";
export const handler = async (event) => {
  record(event);
  const session = event.request.session;
  const last = session.at(-1);
  if (last?.challengeResult === true) event.response.issueTokens = true;
  else if (session.length >= 3) event.response.failAuthentication = true;
  else event.response.challengeName = "CUSTOM_CHALLENGE";
  return event;
};`,
  "create-auth-challenge.mjs": `
export const handler = async (event) => {
  event.response.publicChallengeParameters = { question: "What is 6 times 7?" };
  event.response.privateChallengeParameters = { answer: "42" };
  event.response.challengeMetadata = "QUESTION-" + (event.request.session.length + 1);
  return event;
};`,
  "verify-auth-challenge.mjs": `
export const handler = async (event) => {
  event.response.answerCorrect = event.request.challengeAnswer === event.request.privateChallengeParameters.answer;
  return event;
};`,
};

/** Writes the modules to a new temporary directory; returns it. */
export function writeTriggerModules(): string {
  const dir = mkdtempSync(join(tmpdir(), "syncpool-triggers-"));
  for (const [name, text] of Object.entries(MODULES)) writeFileSync(join(dir, name), text);
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The events the modules in `dir` recorded, oldest first. */
export function recordedEvents(dir: string): Array<Record<string, any>> {
  let text = "";
  try {
    text = readFileSync(join(dir, "events.jsonl"), "utf8");
  } catch {
    return [];
  }
  return text.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as Record<string, any>);
}
