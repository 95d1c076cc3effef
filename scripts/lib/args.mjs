// The scripts' command lines, read by node:util's parseArgs in strict mode: an unknown flag, a
// missing value or a value given to a switch is an error that names the flag (exit 2), never a
// silently ignored typo. One addition: a string option takes a negative number as its separate
// value (`--daily-usd -1`), which parseArgs alone refuses as "ambiguous".
import { parseArgs } from 'node:util';

/**
 * @param {string} script the name errors start with
 * @param {string[]} argv the arguments after the script's path
 * @param {Record<string, {type: 'string' | 'boolean', multiple?: boolean, short?: string}>} options
 * @param {{positionals?: boolean}} [opts]
 * @returns {{values: Record<string, any>, positionals: string[]}}
 */
export function readArgs(script, argv, options, { positionals = false } = {}) {
  const joined = [];
  for (let i = 0; i < argv.length; i++) {
    const name = /^--([^=]+)$/.exec(argv[i])?.[1];
    if (name && options[name]?.type === 'string' && /^-\d/.test(argv[i + 1] ?? ''))
      joined.push(`${argv[i]}=${argv[++i]}`);
    else joined.push(argv[i]);
  }
  try {
    return parseArgs({ args: joined, options, allowPositionals: positionals, strict: true });
  } catch (err) {
    console.error(`${script}: ${err.message.split('\n')[0]}`);
    process.exit(2);
  }
}
