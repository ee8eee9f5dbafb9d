// Encodes TEXT with the tokenizer.json of an exported folder using the
// Hugging Face tokenizers library (its Node binding, npm package
// "tokenizers") and prints {"ids": [...], "decoded": "..."}.
//
//   NODE_PATH=DIR/node_modules node hf_tokenizer.js FOLDER TEXT
const { Tokenizer } = require("tokenizers");

async function main() {
  const [folder, text] = process.argv.slice(2);
  const tok = Tokenizer.fromFile(folder + "/tokenizer.json");
  const enc = await tok.encode(text, null, { addSpecialTokens: false });
  const ids = enc.getIds();
  const decoded = await tok.decode(ids, false);
  console.log(JSON.stringify({ ids: ids, decoded: decoded }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
