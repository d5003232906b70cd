// Markdown from outside (the model, tools, mail) rendered safely: marked parses, DOMPurify sanitizes.
// Raw HTML is never HTML here: a tag-like line (`<tool>`, `<data source="mail">`, `<script>`) is plain
// text of its paragraph, so it can neither create an element nor swallow the lines around it (a
// CommonMark HTML block would). Links keep only http(s) and mailto targets and open with no opener
// and no referrer; images become links (the page loads nothing from another origin).
"use strict";

const paMarkdown = (() => {
  const escapeHtml = (text) =>
    text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

  const parser = new marked.Marked({ gfm: true, breaks: false, async: false });
  parser.use({
    // No HTML tokens at all: `<...>` stays in the paragraph as text (autolinks `<https://...>` still work).
    tokenizer: {
      html() {
        return undefined;
      },
      tag() {
        return undefined;
      },
    },
    renderer: {
      html(token) {
        return escapeHtml(token.text); // unreachable with the tokenizers above; text, should that change
      },
      image(token) {
        return `<a href="${escapeHtml(token.href)}">${escapeHtml(token.text || token.href)}</a>`;
      },
      checkbox(token) {
        return token.checked ? "☑ " : "☐ ";
      },
    },
  });

  const PURIFY = {
    ALLOWED_TAGS: [
      "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "code", "pre",
      "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
    ],
    ALLOWED_ATTR: ["href", "title", "start", "align"],
    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:)/i,
    ALLOW_DATA_ATTR: false,
    RETURN_DOM_FRAGMENT: true,
  };
  DOMPurify.addHook("afterSanitizeAttributes", (node) => {
    if (node.tagName === "A" && node.hasAttribute("href")) {
      node.setAttribute("rel", "noopener noreferrer");
      node.setAttribute("target", "_blank");
    }
  });

  /** The Markdown ``text`` as a sanitized DocumentFragment. */
  function render(text) {
    return DOMPurify.sanitize(parser.parse(text), PURIFY);
  }

  function sameShell(a, b) {
    if (a.nodeType !== Node.ELEMENT_NODE || a.tagName !== b.tagName) return false;
    if (a.attributes.length !== b.attributes.length) return false;
    for (const attr of b.attributes) if (a.getAttribute(attr.name) !== attr.value) return false;
    return true;
  }

  /** Make ``target``'s children equal ``source``'s, keeping every node that did not change.
   * A streamed answer is re-rendered as it grows: finished blocks stay the same DOM nodes (no flicker,
   * a selection in them survives) and the growing one is patched in place. */
  function morph(target, source) {
    const wanted = [...source.childNodes];
    for (let i = 0; i < wanted.length; i++) {
      const have = target.childNodes[i];
      const want = wanted[i];
      if (!have) target.append(want);
      else if (have.isEqualNode(want)) continue;
      else if (have.nodeType === Node.TEXT_NODE && want.nodeType === Node.TEXT_NODE) have.data = want.data;
      else if (sameShell(have, want)) morph(have, want);
      else target.replaceChild(want, have);
    }
    while (target.childNodes.length > wanted.length) target.lastChild.remove();
  }

  /** Show the Markdown ``text`` in ``container`` (updating what is already there). */
  function show(container, text) {
    morph(container, render(text));
  }

  return { render, show };
})();
