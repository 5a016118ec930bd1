// SPDX-License-Identifier: MIT
// Checks documents made by `triage render` with real parsers:
//  - every mermaid diagram parses with mermaid's own parser (mermaid.parse
//    under jsdom): a Markdown file's ```mermaid blocks, an HTML page's
//    <pre><code class="language-mermaid"> blocks, or a whole .mmd file;
//  - Markdown (markdown-it): every table row has its header's number of
//    cells, and every #link names an anchor of the document;
//  - HTML (jsdom): ids are unique, every #link names one, and nothing is
//    loaded from elsewhere (no script, no src, no stylesheet link).
// Prints one line per problem or diagram; exits 1 when anything fails or a
// .md/.html file holds no diagram (unless --no-diagram-ok).
import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';
import MarkdownIt from 'markdown-it';

const dom = new JSDOM('<!DOCTYPE html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false });

let bad = 0;
const problem = (msg) => { console.log(msg); bad++; };

// GitHub's cells: split on | not escaped by a backslash.
function cells(line) {
	let n = 0;
	for (let i = 0; i < line.length; i++) {
		if (line[i] === '\\') i++;
		else if (line[i] === '|') n++;
	}
	return n - 1;
}

// GitHub's heading ids: lower case, spaces as -, other punctuation gone.
const slug = (s) => s.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '')
	.replace(/\s/g, '-');

function checkMarkdown(path, text) {
	const md = new MarkdownIt({ html: true });
	const tokens = md.parse(text, {});
	const lines = text.split('\n');
	const ids = new Set();
	const links = [];
	let want = 0;
	const walk = (list) => {
		for (const [i, t] of list.entries()) {
			if (t.type === 'thead_open') want = -1;
			if (t.type === 'tr_open' && t.map) {
				const n = cells(lines[t.map[0]]);
				if (want < 0) want = n;
				else if (n !== want)
					problem(`${path}:${t.map[0] + 1}: ${n} cells, the header has ${want}`);
			}
			if (t.type === 'heading_open')
				ids.add(slug(list[i + 1].children
					.filter((c) => c.type === 'text' || c.type === 'code_inline')
					.map((c) => c.content).join('')));
			if (t.type === 'html_inline' || t.type === 'html_block')
				for (const m of t.content.matchAll(/<a id="([^"]+)">/g))
					ids.add(m[1]);
			if (t.type === 'link_open' && t.attrGet('href').startsWith('#'))
				links.push(t.attrGet('href').slice(1));
			if (t.children) walk(t.children);
		}
	};
	walk(tokens);
	for (const l of links)
		if (!ids.has(l)) problem(`${path}: link to #${l}, which is no anchor`);
}

function checkHtml(path, text) {
	const doc = new JSDOM(text).window.document;
	const seen = new Set();
	for (const el of doc.querySelectorAll('[id]')) {
		if (seen.has(el.id)) problem(`${path}: id "${el.id}" twice`);
		seen.add(el.id);
	}
	for (const a of doc.querySelectorAll('a[href]')) {
		const h = a.getAttribute('href');
		if (!h.startsWith('#')) problem(`${path}: link out of the page: ${h}`);
		else if (!seen.has(h.slice(1))) problem(`${path}: link to ${h}, which is no id`);
	}
	for (const sel of ['script', '[src]', 'link', 'iframe', 'object', 'embed'])
		if (doc.querySelector(sel)) problem(`${path}: has ${sel}`);
	if (!doc.querySelector('meta[name="viewport"]'))
		problem(`${path}: no viewport meta`);
}

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

let noneOk = false;
for (const path of process.argv.slice(2)) {
	if (path === '--no-diagram-ok') {
		noneOk = true;
		continue;
	}
	const text = readFileSync(path, 'utf8');
	if (path.endsWith('.md')) checkMarkdown(path, text);
	if (path.endsWith('.html')) checkHtml(path, text);
	const list = diagrams(path, text);
	if (list.length === 0 && !noneOk)
		problem(`${path}: no mermaid diagram found`);
	for (const [i, src] of list.entries()) {
		try {
			const r = await mermaid.parse(src);
			console.log(`${path}#${i + 1}: ok (${r.diagramType})`);
		} catch (e) {
			problem(`${path}#${i + 1}: ${String(e.message ?? e)}`);
		}
	}
}
process.exit(bad > 0 ? 1 : 0);
