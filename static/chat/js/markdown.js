// A message body (plain text on the wire) as a safe Markdown subset:
// emphasis, inline code, code blocks, quotes, lists, line breaks and links
// to http(s) only, opened in a new tab with rel="noopener noreferrer".
//
// marked turns the text into HTML with raw HTML escaped (a body's "<b>" is
// text, never markup), DOMPurify keeps only the subset's tags and
// attributes, and the result comes back as DOM nodes (RETURN_DOM_FRAGMENT):
// no string of HTML is ever assigned to the page. Versions:
// static/vendor/VERSIONS.md.

import { Marked } from "../../vendor/marked/marked.esm.js";
import DOMPurify from "../../vendor/dompurify/purify.es.mjs";

const ALLOWED_TAGS = [
  "a", "p", "br", "em", "strong", "del", "code", "pre", "blockquote", "ul", "ol", "li",
];
const SAFE_HREF = /^https?:\/\//i;

function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

const marked = new Marked({
  gfm: true,
  breaks: true, // one newline is a line break, as people type in a chat
  async: false,
  renderer: {
    // Raw HTML in a body is shown as the text it is.
    html({ text }) {
      return escapeHtml(text);
    },
    // No images (a message must not load what its author points at): the
    // source text stays.
    image({ raw }) {
      return escapeHtml(raw);
    },
    // Headings and rules are not in the subset: their text, as a paragraph.
    heading({ tokens }) {
      return `<p>${this.parser.parseInline(tokens)}</p>`;
    },
    hr({ raw }) {
      return `<p>${escapeHtml(raw)}</p>`;
    },
  },
});

const purifier = DOMPurify(window);
purifier.addHook("afterSanitizeAttributes", (node) => {
  if (node.nodeName !== "A") return;
  const href = node.getAttribute("href") || "";
  if (!SAFE_HREF.test(href)) {
    // javascript:, data:, relative and mailto: links become their text
    // (unwrapped in markdownFragment).
    node.removeAttribute("href");
    return;
  }
  node.setAttribute("target", "_blank");
  node.setAttribute("rel", "noopener noreferrer");
});

const CONFIG = {
  ALLOWED_TAGS,
  ALLOWED_ATTR: ["href", "target", "rel"],
  ALLOWED_URI_REGEXP: SAFE_HREF,
  RETURN_DOM_FRAGMENT: true,
};

/** The body's nodes: sanitized Markdown, or plain text if that fails. */
export function markdownFragment(body) {
  try {
    // trim: no stray newline text after the last block.
    const fragment = purifier.sanitize(marked.parse(body).trim(), CONFIG);
    for (const link of fragment.querySelectorAll("a:not([href])")) {
      link.replaceWith(...link.childNodes);
    }
    // The newline a <br> stands for stays in the text (copying a message
    // gives what was typed); after a <br> the browser does not show it.
    for (const br of fragment.querySelectorAll("br")) br.after(document.createTextNode("\n"));
    return fragment;
  } catch {
    const fragment = document.createDocumentFragment();
    fragment.append(document.createTextNode(body));
    return fragment;
  }
}
