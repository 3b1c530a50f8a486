/**
 * The shape of one schema step, written for both backends side by side so the two schemas stay
 * alike. Each area of storage keeps its step next to its queries; the ordered list and the one
 * runner that applies it take these.
 */

/** One versioned schema step. `sqlite` and `postgres` may each hold several statements. */
export interface Migration {
  /** Strictly ascending across the list; never reused, never edited once shipped. */
  version: number;
  name: string;
  /** The step in SQLite's dialect (STRICT tables). */
  sqlite: string;
  /** The step in PostgreSQL's dialect. */
  postgres: string;
}
