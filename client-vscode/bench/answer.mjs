// A long model answer as the panel gets it: prose, lists, tables and twelve-line code blocks, half
// of them without a language tag, cut into tokens of at most four characters after the leading
// whitespace (about the size of a model's tokens). Deterministic (a fixed seed).

const WORDS = (
  "the panel renders each block once and only the growing tail again so work per frame stays " +
  "small while the model writes tokens into a conversation about code tests builds caches " +
  "latency memory streams requests servers clients editors files functions values errors"
).split(" ");

const CODE = {
  python: ["def handle(request):", "    items = load(request.path)", "    for item in items:", "        if item.ready:", "            yield item.value", "    return None"],
  typescript: ["export function handle(request: Request): Item[] {", "  const items = load(request.path);", "  return items.filter((item) => item.ready);", "}", "const answer = handle({ path: \"/x\" });", "console.log(answer.length);"],
  bash: ["$ npm ci --no-audit", "added 312 packages in 9s", "$ npm run build", "> tsc --noEmit -p .", "$ ls dist", "extension.js  webview.js"],
};

function makeRandom(seed) {
  let state = seed;
  return (below) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % below;
  };
}

function sentence(random, words) {
  const text = Array.from({ length: words }, () => WORDS[random(WORDS.length)]).join(" ");
  return text[0].toUpperCase() + text.slice(1) + ".";
}

function* sections(random) {
  for (let index = 0; ; index++) {
    yield Array.from({ length: 3 + random(3) }, () => sentence(random, 8 + random(10))).join(" ");
    if (index % 2 === 0) yield Array.from({ length: 3 + random(4) }, () => `- ${sentence(random, 5 + random(8))}`).join("\n");
    if (index % 3 === 1) {
      const rows = Array.from({ length: 4 }, (_, row) => `| ${WORDS[random(WORDS.length)]} | ${row * 17 + random(9)} ms | ${random(100)} % |`);
      yield ["| Step | Time | Share |", "|:--|--:|:-:|", ...rows].join("\n");
    }
    // Twelve-line code blocks, every other one without a language tag.
    const [language, lines] = Object.entries(CODE)[index % 3];
    const code = [...lines, ...lines].join("\n");
    yield index % 2 === 0 ? "```" + language + "\n" + code + "\n```" : "```\n" + code + "\n```";
  }
}

/** The answer's tokens: `count` pieces whose concatenation is the answer's text. */
export function answerTokens(count, seed = 1) {
  const random = makeRandom(seed);
  const tokens = [];
  for (const section of sections(random)) {
    for (const match of ("\n\n" + section).matchAll(/\s*\S{1,4}/g)) {
      tokens.push(tokens.length === 0 ? match[0].trimStart() : match[0]);
      if (tokens.length === count) return tokens;
    }
  }
  return tokens;
}
