/**
 * A real SMTP server on 127.0.0.1, port 0 (`smtp-server`), that keeps every mail it receives as
 * text: the user-pool tests read the codes the server mails from it.
 */
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

export interface MailCatcher {
  /** `smtp://127.0.0.1:<port>`, for the server's SMTP URL. */
  url: string;
  /** Every mail received so far, whole (headers and body), in arrival order. */
  mails: string[];
  close(): Promise<void>;
}

/** Starts a catcher; close it when the file's tests end. */
export async function startMailCatcher(): Promise<MailCatcher> {
  const mails: string[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["AUTH", "STARTTLS"],
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        mails.push(Buffer.concat(chunks).toString("utf8"));
        callback();
      });
    },
  });
  smtp.listen(0, "127.0.0.1");
  await once(smtp.server, "listening");
  return {
    url: `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`,
    mails,
    close: () => new Promise<void>((resolve) => smtp.close(() => resolve())),
  };
}
