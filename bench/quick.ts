import { hotPath } from './hot-path.js'
const r = await hotPath({ ops: Number(process.argv[2] ?? 100000), rounds: Number(process.argv[3] ?? 5) })
console.log(r.markdown)
