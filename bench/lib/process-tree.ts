import { readdirSync, readFileSync } from 'node:fs';

export interface TreeMember {
  pid: number;
  /** The command name (`/proc/<pid>/comm`): npm, sh, node, esbuild… */
  comm: string;
  /** Resident set size in bytes: what `ps` shows, shared pages counted in every process that maps them. */
  rss: number;
  /** Proportional set size in bytes: shared pages split between the processes that map them. */
  pss: number;
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function kb(text: string | undefined, field: string): number {
  const match = text ? new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text) : null;
  return match ? Number(match[1]) * 1024 : 0;
}

/** `root` and every process descended from it, as they are right now. */
export function processTree(root: number): TreeMember[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = read(`/proc/${entry}/stat`);
    if (!stat) continue;
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  const members: TreeMember[] = [];
  const queue = [root];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    const status = read(`/proc/${pid}/status`);
    if (status === undefined) continue;
    members.push({
      pid,
      comm: (read(`/proc/${pid}/comm`) ?? '?').trim(),
      rss: kb(status, 'VmRSS'),
      pss: kb(read(`/proc/${pid}/smaps_rollup`), 'Pss'),
    });
    queue.push(...(children.get(pid) ?? []));
  }
  return members;
}

export interface TreeSample {
  rss: number;
  pss: number;
  /** The largest process of the tree (the node running ordergate). */
  largest: TreeMember | undefined;
  members: TreeMember[];
}

export function sampleTree(root: number): TreeSample {
  const members = processTree(root);
  return {
    rss: members.reduce((sum, m) => sum + m.rss, 0),
    pss: members.reduce((sum, m) => sum + m.pss, 0),
    largest: members.reduce<TreeMember | undefined>((a, m) => (a && a.rss >= m.rss ? a : m), undefined),
    members,
  };
}
