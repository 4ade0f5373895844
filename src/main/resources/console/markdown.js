// A small Markdown renderer that builds DOM nodes and sets only textContent: model output never becomes HTML,
// so a reply containing <img src=x onerror=...> shows as those characters. Covers what chat replies use: fenced
// code blocks, headings, bullet and numbered lists, paragraphs, and inline code, bold and italics.

export function render(text, into) {
  into.replaceChildren(...blocks(text));
}

function blocks(text) {
  const nodes = [];
  const lines = text.split('\n');
  let paragraph = [];
  let list = null;
  const flush = () => {
    if (paragraph.length) nodes.push(element('p', paragraph.join('\n')));
    paragraph = [];
    list = null;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fence = line.match(/^\s*```\s*([\w+-]*)/);
    if (fence) {
      flush();
      const code = [];
      for (i++; i < lines.length && !/^\s*```/.test(lines[i]); i++) code.push(lines[i]);
      const pre = document.createElement('pre');
      const inner = document.createElement('code');
      if (fence[1]) inner.dataset.language = fence[1];
      inner.textContent = code.join('\n');
      pre.append(inner);
      nodes.push(pre);
      continue;
    }
    const heading = line.match(/^(#{1,6})\s+(.*)$/);
    if (heading) {
      flush();
      nodes.push(element(`h${Math.min(6, heading[1].length + 2)}`, heading[2]));
      continue;
    }
    const item = line.match(/^\s*([-*+]|\d+[.)])\s+(.*)$/);
    if (item) {
      if (paragraph.length) { nodes.push(element('p', paragraph.join('\n'))); paragraph = []; }
      const tag = /\d/.test(item[1]) ? 'ol' : 'ul';
      if (!list || list.tagName.toLowerCase() !== tag) {
        list = document.createElement(tag);
        nodes.push(list);
      }
      list.append(element('li', item[2]));
      continue;
    }
    if (!line.trim()) { flush(); continue; }
    list = null;
    paragraph.push(line);
  }
  flush();
  return nodes;
}

function element(tag, text) {
  const node = document.createElement(tag);
  node.append(...inline(text));
  return node;
}

/** `code`, **bold** and *italics* (or _italics_), everything else as plain text. */
function inline(text) {
  const parts = [];
  const pattern = /`([^`]+)`|\*\*([^*]+)\*\*|\*([^*\s][^*]*)\*|_([^_\s][^_]*)_/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index > last) parts.push(document.createTextNode(text.slice(last, match.index)));
    const [tag, content] = match[1] !== undefined ? ['code', match[1]]
      : match[2] !== undefined ? ['strong', match[2]] : ['em', match[3] ?? match[4]];
    const node = document.createElement(tag);
    node.textContent = content;
    parts.push(node);
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push(document.createTextNode(text.slice(last)));
  return parts;
}
