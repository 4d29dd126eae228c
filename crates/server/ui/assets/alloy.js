// Values of the web API (Alloy's JSON encoding: {type, value}) written back in Alloy syntax, and bodies
// (attributes and blocks) split into sections. Secrets arrive from the API as the capsule "(secret)" and are
// shown as such: the API never sends their text.

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** An Alloy string literal. */
export function quote(str) {
  let out = '"';
  for (const ch of str) {
    const c = ch.codePointAt(0);
    switch (ch) {
      case '"': out += '\\"'; break;
      case '\\': out += '\\\\'; break;
      case '\n': out += '\\n'; break;
      case '\r': out += '\\r'; break;
      case '\t': out += '\\t'; break;
      default:
        if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
        else out += ch;
    }
  }
  return out + '"';
}

/** Whether a value takes more than one line: a non-empty object, or an array holding one. */
function multiline(v) {
  if (v.type === 'object') return v.value.length > 0;
  if (v.type === 'array') return v.value.some(multiline);
  return false;
}

function key(k) {
  return IDENT.test(k) ? k : quote(k);
}

/** A value in Alloy syntax; `depth` is the indentation of the line it starts on. */
export function stringify(v, depth = 0) {
  switch (v?.type) {
    case 'null':
      return 'null';
    case 'number':
      return String(v.value);
    case 'string':
      return quote(v.value);
    case 'bool':
      return v.value ? 'true' : 'false';
    case 'array':
      return '[' + v.value.map((e) => stringify(e, depth)).join(', ') + ']';
    case 'object': {
      if (v.value.length === 0) return '{}';
      // Keys line up within runs of single-line fields, as `alloy fmt` aligns them.
      const pad = '\t'.repeat(depth + 1);
      let out = '{\n';
      let run = [];
      const flush = () => {
        const width = Math.max(...run.map((f) => key(f.key).length));
        for (const f of run) out += `${pad}${key(f.key).padEnd(width)} = ${stringify(f.value, depth + 1)},\n`;
        run = [];
      };
      for (const f of v.value) {
        run.push(f);
        if (multiline(f.value)) flush();
      }
      if (run.length) flush();
      return out + '\t'.repeat(depth) + '}';
    }
    case 'function':
    case 'capsule':
      return String(v.value);
    default:
      return 'null';
  }
}

/**
 * A body as sections: its attributes, then each block as a section of its own (named by the path of block
 * names, numbered when a name repeats), depth first, as the component page lists them.
 */
export function sections(body, title) {
  const out = [];
  const walk = (items, path, anchor) => {
    const attrs = items.filter((i) => i.type === 'attr');
    out.push({ path, anchor, attrs });
    const seen = {};
    for (const b of items.filter((i) => i.type === 'block')) {
      const name = b.label ? `${b.name} ${quote(b.label)}` : b.name;
      const n = (seen[name] = (seen[name] ?? -1) + 1);
      walk(b.body || [], [...path, name], `${anchor}-${b.name}${b.label ? '.' + b.label : ''}-${n}`);
    }
  };
  walk(body || [], [title], title.toLowerCase().replace(/\s+/g, '-'));
  return out;
}

/** A plain JavaScript value from an API value (for tables built from debug info). */
export function plain(v) {
  switch (v?.type) {
    case 'array':
      return v.value.map(plain);
    case 'object':
      return Object.fromEntries(v.value.map((f) => [f.key, plain(f.value)]));
    case 'null':
    case undefined:
      return null;
    default:
      return v.value;
  }
}
