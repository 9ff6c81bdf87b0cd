// The runtime's header files and, per model family, the ordered list of them a standalone
// model header embeds. A family is a header no other header includes (forest.h, net.h, ...);
// its list holds every file it includes, directly or not, dependencies first, each once.
//
// Embedded, the files follow one another with no include path, so every
// `#include "tinyml/x.h"` must sit inside `#ifndef <x.h's guard>`: the file it names came
// earlier in the list and defined that guard, so the include is skipped. This module refuses
// a header that breaks the rule.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const INCLUDE = /^\s*#\s*include\s+"tinyml\/([^"]+)"/;
const GUARD = /^\s*#\s*ifndef\s+(\w+)/;

/** The include guard of a header: its first #ifndef, which the next line must #define. */
function guardOf(path, lines) {
  const at = lines.findIndex(line => GUARD.test(line));
  const guard = at >= 0 ? GUARD.exec(lines[at])[1] : null;
  if (!guard || !new RegExp(`^\\s*#\\s*define\\s+${guard}\\b`).test(lines[at + 1] ?? '')) {
    throw new Error(`${path}: no include guard (#ifndef X / #define X before anything else)`);
  }
  return guard;
}

/**
 * { files: { 'tinyml/x.h': source }, families: { forest: ['tinyml/common.h', ...], ... } }
 * for the headers in includeDir (c-runtime/include/tinyml).
 */
export function runtimeFiles(includeDir) {
  const files = {};
  const includes = {};
  const guards = {};
  for (const name of readdirSync(includeDir).filter(f => f.endsWith('.h')).sort()) {
    const path = `tinyml/${name}`;
    files[path] = readFileSync(join(includeDir, name), 'utf8');
    const lines = files[path].split('\n');
    guards[path] = guardOf(path, lines);
    includes[path] = lines.flatMap((line, i) => {
      const m = INCLUDE.exec(line);
      return m ? [{ target: `tinyml/${m[1]}`, line: i }] : [];
    });
  }
  for (const [path, list] of Object.entries(includes)) {
    const lines = files[path].split('\n');
    for (const { target, line } of list) {
      if (!(target in files)) {
        throw new Error(`${path} includes ${target}, which is not in ${includeDir}`);
      }
      let before = line - 1;
      while (before >= 0 && lines[before].trim() === '') {
        before--;
      }
      const m = before >= 0 ? GUARD.exec(lines[before]) : null;
      if (!m || m[1] !== guards[target]) {
        throw new Error(
          `${path}:${line + 1}: #include "${target}" must sit inside #ifndef ${guards[target]}, ` +
            'or the embedded runtime would need an include path'
        );
      }
    }
  }
  const included = new Set(Object.values(includes).flatMap(list => list.map(i => i.target)));
  const families = {};
  for (const root of Object.keys(files).filter(path => !included.has(path))) {
    const order = [];
    const visiting = new Set();
    const visit = path => {
      if (order.includes(path)) {
        return;
      }
      if (visiting.has(path)) {
        throw new Error(`${path} includes itself through ${[...visiting].join(', ')}`);
      }
      visiting.add(path);
      includes[path].forEach(i => visit(i.target));
      visiting.delete(path);
      order.push(path);
    };
    visit(root);
    families[root.replace(/^tinyml\//, '').replace(/\.h$/, '')] = order;
  }
  return { files, families };
}
