/**
 * The custom message trigger: the subject and text of a mailed code. The trigger gets the code as
 * the placeholder `{####}` (`request.codeParameter`) and may answer `emailSubject` and
 * `emailMessage`; the message must keep the placeholder, which the code replaces after the trigger
 * ran, so the code never leaves the server. An answer without a message keeps the pool's default;
 * a message without the placeholder is refused (InvalidLambdaResponseException), as a code mail
 * without its code would be useless.
 */
import type { UserPoolUserWithAttributes } from "../../storage/user-pool-store.js";
import type { LoadedUserPool, UserPoolDeps } from "../user-pool-deps.js";
import { UserPoolError } from "../user-pool-errors.js";
import { stringMap, triggerAttributes } from "./user-pool-triggers.js";

/** Where the code goes in a message. */
export const CODE_PARAMETER = "{####}";

/** Whom a code message is for and why, beyond the user: the request's app client and Cognito's trigger source. */
export interface CodeMessageContext {
  clientId: string;
  /** e.g. CustomMessage_SignUp; by default the one of the code's purpose. */
  triggerSource?: string;
  clientMetadata?: unknown;
  /** The message also names the user as `{username}` (AdminCreateUser's invitation), which it must keep. */
  usernameParameter?: boolean;
}

/** Where the username goes in an invitation. */
export const USERNAME_PARAMETER = "{username}";

const invalid = () => new UserPoolError("InvalidLambdaResponseException", "Unrecognizable lambda output");

/** The subject and text (with `{####}`) of a code mail: `defaults`, or what the pool's trigger answered. */
export async function customMessage(
  deps: UserPoolDeps,
  pool: LoadedUserPool,
  user: UserPoolUserWithAttributes,
  triggerSource: string,
  context: CodeMessageContext | undefined,
  defaults: { subject: string; text: string },
): Promise<{ subject: string; text: string }> {
  if (context === undefined || !deps.triggers.has(pool.settings.id, "customMessage")) return defaults;
  const response = await deps.triggers.run(pool.settings.id, "customMessage", {
    triggerSource: context.triggerSource ?? triggerSource,
    userName: user.username,
    clientId: context.clientId,
    request: { userAttributes: triggerAttributes(user), codeParameter: CODE_PARAMETER, linkParameter: "{##Click Here##}", usernameParameter: context.usernameParameter ? USERNAME_PARAMETER : null, clientMetadata: stringMap(context.clientMetadata) ?? {} },
    response: { smsMessage: null, emailMessage: null, emailSubject: null },
  });
  const subject = response?.["emailSubject"] ?? null;
  const text = response?.["emailMessage"] ?? null;
  if ((subject !== null && (typeof subject !== "string" || subject.length > 140)) || (text !== null && (typeof text !== "string" || text.length > 20_000))) throw invalid();
  if (typeof text === "string" && (!text.includes(CODE_PARAMETER) || (context.usernameParameter && !text.includes(USERNAME_PARAMETER)))) throw invalid();
  return { subject: typeof subject === "string" && subject !== "" ? subject : defaults.subject, text: typeof text === "string" ? text : defaults.text };
}
