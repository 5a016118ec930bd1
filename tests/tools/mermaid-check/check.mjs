// SPDX-License-Identifier: MIT
// Parses every mermaid diagram in the files given with mermaid's own parser
// (mermaid.parse under jsdom): a Markdown file's ```mermaid blocks, an HTML
// page's <pre><code class="language-mermaid"> blocks, or a whole .mmd file.
// Prints one line per diagram and exits 1 when any fails to parse or a file
// holds none.
import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';

const dom = new JSDOM('<!DOCTYPE html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false });

const unescapeHtml = (s) => s.replace(/&(amp|lt|gt|quot|#39);/g, (m, e) =>
	({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]);

function diagrams(path, text) {
	const found = [];
	let m;
	if (path.endsWith('.md')) {
		const re = /^(`{3,})mermaid[ \t]*\n([\s\S]*?)^\1[ \t]*$/gm;
		while ((m = re.exec(text)) !== null)
			found.push(m[2]);
	} else if (path.endsWith('.html')) {
		const re = /<pre><code class="language-mermaid">([\s\S]*?)<\/code><\/pre>/g;
		while ((m = re.exec(text)) !== null)
			found.push(unescapeHtml(m[1]));
	} else {
		found.push(text);
	}
	return found;
}

let bad = 0;
for (const path of process.argv.slice(2)) {
	const list = diagrams(path, readFileSync(path, 'utf8'));
	if (list.length === 0) {
		console.log(`${path}: no mermaid diagram found`);
		bad++;
	}
	for (const [i, src] of list.entries()) {
		try {
			const r = await mermaid.parse(src);
			console.log(`${path}#${i + 1}: ok (${r.diagramType})`);
		} catch (e) {
			console.log(`${path}#${i + 1}: ${String(e.message ?? e)}`);
			bad++;
		}
	}
}
process.exit(bad > 0 ? 1 : 0);
