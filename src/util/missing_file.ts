/**
 * Why a path cannot be opened although it may be listed in its folder: a symbolic link whose target
 * is gone (a dataset of links to files that moved, `pspseg dataset`'s default) shows in `ls` but
 * reads as ENOENT, and "no such file" about a file the user can see is no help. These name the
 * missing target.
 */
import { lstatSync, readlinkSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** A symbolic link's target as written and resolved against the link's folder; null when `path` is not a symbolic link. */
export function linkTarget(path: string): { target: string; resolved: string } | null {
  try {
    if (!lstatSync(path).isSymbolicLink()) return null;
    const target = readlinkSync(path);
    return { target, resolved: resolve(dirname(path), target) };
  } catch {
    return null;
  }
}

/**
 * For a path that does not open (ENOENT, ELOOP): 'file does not exist', or for a dangling symbolic
 * link 'symbolic link to T, which does not exist' (along a chain of links: 'symbolic link to T, a
 * symbolic link to U, which does not exist'; a loop is said).
 */
export function missingFileReason(path: string): string {
  const chain: string[] = [];
  let at = resolve(path);
  const seen = new Set([at]);
  for (let link = linkTarget(at); link; link = linkTarget(at)) {
    chain.push(`symbolic link to ${link.target === link.resolved ? link.target : `${link.target} (${link.resolved})`}`);
    if (seen.has(link.resolved)) return `${chain.join(', a ')}: a loop of links`;
    seen.add(link.resolved);
    at = link.resolved;
  }
  return chain.length ? `${chain.join(', a ')}, which does not exist` : 'file does not exist';
}
