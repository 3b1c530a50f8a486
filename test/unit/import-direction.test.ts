/**
 * The layers look down only. Every import (static, dynamic, `export ... from`, type-only) of every
 * source file under core/, client/ and server/ is read with TypeScript's own scanner and checked
 * against the rules below; a failure lists each offending edge as `file -> import (rule)`.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** One import: the importing file and what it names, both relative to the repository root for our own files. */
interface ImportEdge {
  from: string;
  /** A repository-relative path (`core/ydoc.ts`) for our files, the bare specifier (`pg`) for packages. */
  to: string;
  external: boolean;
}

/** A layering rule: `from` files must not import anything `forbids` matches. */
interface Rule {
  name: string;
  from: (file: string) => boolean;
  forbids: (edge: ImportEdge) => boolean;
  /** Files allowed to break the rule for now, each with the reason. */
  exceptions?: Record<string, string>;
}

const DATABASE_DRIVERS = new Set(["pg", "better-sqlite3", "pg-pool", "pg-cursor", "pg-query-stream"]);
const packageName = (specifier: string) =>
  specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0]!;

const RULES: Rule[] = [
  {
    name: "core/ imports nothing of ours outside core/",
    from: (file) => file.startsWith("core/"),
    forbids: (edge) => !edge.external && !edge.to.startsWith("core/"),
  },
  {
    name: "client/ never imports server/",
    from: (file) => file.startsWith("client/"),
    forbids: (edge) => !edge.external && edge.to.startsWith("server/"),
  },
  {
    name: "server/ never imports client/",
    from: (file) => file.startsWith("server/"),
    forbids: (edge) => !edge.external && edge.to.startsWith("client/"),
  },
  {
    name: "client/store/ does not import client/sync/",
    from: (file) => file.startsWith("client/store/"),
    forbids: (edge) => !edge.external && edge.to.startsWith("client/sync/"),
  },
  {
    // The sync operations take the stream's interface (`server/stream/sync-stream.ts`), not the reverse.
    name: "server/stream/ does not import server/sync/",
    from: (file) => file.startsWith("server/stream/"),
    forbids: (edge) => !edge.external && edge.to.startsWith("server/sync/"),
  },
  {
    // The export list is the package's entry, never a module the server's own files build on.
    name: "server/ files never import server/index.ts",
    from: (file) => file.startsWith("server/"),
    forbids: (edge) => !edge.external && edge.to === "server/index.ts",
  },
  {
    name: "only server/storage/ imports database drivers",
    from: (file) => !file.startsWith("server/storage/"),
    forbids: (edge) => edge.external && DATABASE_DRIVERS.has(packageName(edge.to)),
  },
];

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (entry.name !== "node_modules" && entry.name !== "generated") out.push(...sourceFiles(path));
    } else if (/\.(ts|tsx|mts)$/.test(entry.name) && !entry.name.endsWith(".d.ts")) {
      out.push(path);
    }
  }
  return out;
}

/** Every import of `file` (repository-relative), resolved to a repository path when it is one of ours. */
function importsOf(file: string, text = readFileSync(join(root, file), "utf8")): ImportEdge[] {
  const info = ts.preProcessFile(text, true, true);
  return info.importedFiles.map(({ fileName: specifier }) => {
    if (!specifier.startsWith(".")) return { from: file, to: specifier, external: true };
    const target = relative(root, resolve(root, dirname(file), specifier)).replace(/\.js$/, ".ts");
    return { from: file, to: target, external: false };
  });
}

/** The edges that break a rule, formatted `file -> import (rule)`. */
function violations(edges: readonly ImportEdge[]): string[] {
  const found: string[] = [];
  for (const edge of edges) {
    for (const rule of RULES) {
      if (!rule.from(edge.from) || !rule.forbids(edge)) continue;
      if (rule.exceptions && edge.from in rule.exceptions) continue;
      found.push(`${edge.from} -> ${edge.to} (${rule.name})`);
    }
  }
  return found;
}

describe("import direction", () => {
  const files = ["core", "client", "server"].flatMap(sourceFiles);

  it("finds the source files and their imports", () => {
    expect(files.length).toBeGreaterThan(100);
    expect(importsOf("server/storage/postgres.ts").some((edge) => edge.to === "pg")).toBe(true);
  });

  it("keeps every import of core/, client/ and server/ pointing down the layers", () => {
    expect(violations(files.flatMap((file) => importsOf(file)))).toEqual([]);
  });

  it("reports a forbidden edge of each kind, type-only and dynamic imports included", () => {
    const bad = [
      importsOf("core/x.ts", 'import { a } from "../server/errors.js";'),
      importsOf("client/x.ts", 'import type { S } from "../server/index.js";'),
      importsOf("server/sync/x.ts", 'const c = await import("../../client/index.js");'),
      importsOf("client/store/x.ts", 'export { b } from "../sync/backoff.js";'),
      importsOf("server/sync/x.ts", 'import Database from "better-sqlite3";'),
      importsOf("server/x.ts", 'import pg from "pg";'),
      importsOf("server/node.ts", 'import { createSyncpoolServer } from "./index.js";'),
      importsOf("server/stream/x.ts", 'import type { SyncDeps } from "../sync/types.js";'),
    ].flat();
    expect(violations(bad)).toHaveLength(bad.length);
  });

  it("allows what the layers allow", () => {
    const good = [
      importsOf("server/sync/x.ts", 'import { merge } from "../../core/merge.js";'),
      importsOf("client/x.ts", 'import { merge } from "../core/merge.js";'),
      importsOf("server/storage/x.ts", 'import pg from "pg";'),
      importsOf("server/push/x.ts", 'import Redis from "ioredis";'),
    ].flat();
    expect(violations(good)).toEqual([]);
  });
});
