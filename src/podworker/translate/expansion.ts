// $(VAR) references in env values, command and args: the kubelet's third_party/forked/golang/expansion.
//
// `$(NAME)` is replaced by NAME's value when NAME is known and left as written when not; `$$` is an
// escaped `$`, so `$$(NAME)` yields the literal text `$(NAME)`. Anything else is copied as is.

/** MappingFuncFor: look a name up in each context in turn; an unknown name stays `$(NAME)`. */
export function mappingFuncFor(...contexts: ReadonlyMap<string, string>[]): (name: string) => string {
  return (name) => {
    for (const vars of contexts) {
      const v = vars.get(name);
      if (v !== undefined) return v;
    }
    return `$(${name})`;
  };
}

/** tryReadVariableName: what follows a `$`, whether it named a variable, and how far it reached. */
function tryReadVariableName(rest: string): [read: string, isVar: boolean, advance: number] {
  switch (rest[0]) {
    case '$':
      return ['$', false, 1];
    case '(': {
      const close = rest.indexOf(')', 1);
      if (close >= 0) return [rest.slice(1, close), true, close + 1];
      return ['$(', false, 1]; // an unclosed reference is left as text
    }
    default:
      return [`$${rest[0]}`, false, 1];
  }
}

/** expansion.Expand */
export function expand(input: string, mapping: (name: string) => string): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] === '$' && cursor + 1 < input.length) {
      out += input.slice(checkpoint, cursor);
      const [read, isVar, advance] = tryReadVariableName(input.slice(cursor + 1));
      out += isVar ? mapping(read) : read;
      cursor += advance;
      checkpoint = cursor + 1;
    }
  }
  return out + input.slice(checkpoint);
}
