import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The commands of the repository's `Procfile` (`web: node --flag dist/src/web.js`), split into words, by role.
 * The product never reads it; the bench and the process tests do, so both run each role as a deployment would.
 */
export function procfileCommands(root: string): Record<string, string[]> {
  const text = readFileSync(path.join(root, 'Procfile'), 'utf8');
  const commands: Record<string, string[]> = {};
  for (const line of text.split('\n')) {
    const match = /^(\w+):\s*(.+)$/.exec(line.trim());
    if (match?.[1] && match[2]) commands[match[1]] = match[2].trim().split(/\s+/);
  }
  return commands;
}
