import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The executable examples of the docs. A fenced block whose info string is exactly `sh` and that contains
 * `curl` is an example: the docs test runs the blocks of one file in order, in one bash session, against a
 * running instance. `$BASE` is the instance and `$TOKEN` its admin token; the provider secrets are in the
 * variables their configuration names (`$YEMEKSEPETI_MARKET_TOKEN`, `$GOFOOD_NOTIFICATION_SECRET`, …).
 *
 * Every curl answered 4xx or 5xx must be followed by a comment line `# → <status>` naming that status (the
 * same comment after a 2xx checks it too); a curl run with `-f` judges its own answer. A block that must not
 * run (starting the product, a production deployment) is fenced as ```` ```sh no-run ```` and holds no curl.
 */
export interface DocBlock {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  info: string;
  body: string;
}

export const DOC_FILES_ROOT = path.resolve(import.meta.dirname, '../..');

/** README.md and every docs/*.md, relative to the repository root. */
export async function docFiles(root = DOC_FILES_ROOT): Promise<string[]> {
  const docs = (await readdir(path.join(root, 'docs'))).filter((f) => f.endsWith('.md')).sort();
  return ['README.md', ...docs.map((f) => `docs/${f}`)];
}

const FENCE = /^\s*(`{3,})([^\n`]*)$/;

export function fencedBlocks(file: string, text: string): DocBlock[] {
  const lines = text.split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] ?? '');
    if (!open) continue;
    const fence = open[1] ?? '```';
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && (lines[i] ?? '').trim() !== fence; i++) body.push(lines[i] ?? '');
    blocks.push({ file, line: start + 1, info: (open[2] ?? '').trim(), body: body.join('\n') });
  }
  return blocks;
}

export function isExample(block: DocBlock): boolean {
  return block.info === 'sh' && /\bcurl\b/.test(block.body);
}

export async function examplesByFile(root = DOC_FILES_ROOT): Promise<Map<string, DocBlock[]>> {
  const byFile = new Map<string, DocBlock[]>();
  for (const file of await docFiles(root)) {
    const blocks = fencedBlocks(file, await readFile(path.join(root, file), 'utf8'));
    byFile.set(file, blocks);
  }
  return byFile;
}

const EXPECT_LINE = /^(\s*)#\s*→\s*(\d{3})\b/;

/**
 * One bash script running a file's examples: a `curl` function records each answer's status (from a header
 * dump, so the example's own output is untouched); a `# → NNN` line checks the last one; any 4xx/5xx nobody
 * expected fails the script at the end of its block.
 */
export function scriptFor(blocks: readonly DocBlock[], stateDir: string): string {
  const prelude = String.raw`set -euo pipefail
trap 'echo "docs: this command failed (exit $?): $BASH_COMMAND" >&2' ERR
__state=${JSON.stringify(stateDir)}
echo 0 > "$__state/seq"
: > "$__state/unchecked"
curl() {
  # A file, not a variable: a curl inside $(…) runs in a subshell.
  local __seq
  __seq=$(( $(cat "$__state/seq") + 1 ))
  echo "$__seq" > "$__state/seq"
  local headers="$__state/headers.$__seq" judged=0 arg rc=0
  for arg in "$@"; do
    case "$arg" in --fail|--fail-with-body) judged=1 ;; --*) ;; -*f*) judged=1 ;; esac
  done
  command curl --max-time 10 -D "$headers" "$@" || rc=$?
  local code
  code=$(awk '/^HTTP\//{c=$2} END{print c}' "$headers" 2>/dev/null || true)
  [[ -n "$code" ]] || code=000
  echo "$__seq $code" > "$__state/last"
  if [[ $judged -eq 0 && $code -ge 400 ]]; then echo "$__seq $code curl $*" | tr '\n' ' ' >> "$__state/unchecked"; echo >> "$__state/unchecked"; fi
  return $rc
}
__expect() {
  local want=$1 seq code
  read -r seq code < "$__state/last" || { echo "docs: '# → $want' with no curl before it" >&2; exit 1; }
  if [[ "$code" != "$want" ]]; then echo "docs: expected $want, the example answered $code" >&2; exit 1; fi
  grep -v "^$seq " "$__state/unchecked" > "$__state/unchecked.next" || true
  mv "$__state/unchecked.next" "$__state/unchecked"
}
__block_end() {
  if [[ -s "$__state/unchecked" ]]; then
    echo "docs: $1 got an error answer its text does not announce with a '# → <status>' line:" >&2
    cat "$__state/unchecked" >&2
    exit 1
  fi
}
`;
  const parts = [prelude];
  for (const block of blocks) {
    const where = `${block.file}:${block.line}`;
    parts.push(`echo ${JSON.stringify(`### ${where}`)}`);
    for (const line of block.body.split('\n')) {
      const expect = EXPECT_LINE.exec(line);
      parts.push(expect ? `${expect[1]}__expect ${expect[2]}  ${line.trim()}` : line);
    }
    parts.push(`__block_end ${JSON.stringify(where)}`);
  }
  return `${parts.join('\n')}\n`;
}
