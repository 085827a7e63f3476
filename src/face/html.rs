//! HTML written by hand, safely: [`Html`] takes markup only as `&'static str` literals (written
//! in sfstub's source) and everything else through [`Html::text`], which escapes it. Nothing a
//! request, a scenario or the journal holds can reach the page unescaped.

/// A piece of HTML being written.
#[derive(Debug, Default, Clone)]
pub struct Html(String);

impl Html {
    pub fn new() -> Html {
        Html(String::with_capacity(8 * 1024))
    }

    /// Markup: only literals from sfstub's source.
    pub fn raw(&mut self, markup: &'static str) -> &mut Html {
        self.0.push_str(markup);
        self
    }

    /// Text, escaped for element content and quoted attribute values alike.
    pub fn text(&mut self, text: &str) -> &mut Html {
        escape_into(&mut self.0, text);
        self
    }

    /// A number (needs no escaping).
    pub fn num(&mut self, n: impl Into<u64>) -> &mut Html {
        self.0.push_str(&n.into().to_string());
        self
    }

    /// `<tag>text</tag>`.
    pub fn el(&mut self, tag: &'static str, text: &str) -> &mut Html {
        self.open(tag).text(text).close(tag)
    }

    /// `<tag>`.
    pub fn open(&mut self, tag: &'static str) -> &mut Html {
        self.0.push('<');
        self.0.push_str(tag);
        self.0.push('>');
        self
    }

    /// `</tag>`.
    pub fn close(&mut self, tag: &'static str) -> &mut Html {
        self.0.push_str("</");
        self.0.push_str(tag);
        self.0.push('>');
        self
    }

    /// `<a href="href">text</a>`, both escaped.
    pub fn link(&mut self, href: &str, text: &str) -> &mut Html {
        self.raw("<a href=\"").text(href).raw("\">").text(text).raw("</a>")
    }

    /// Another piece, already safe.
    pub fn html(&mut self, other: &Html) -> &mut Html {
        self.0.push_str(&other.0);
        self
    }

    /// The HTML written.
    pub fn into_string(self) -> String {
        self.0
    }

    /// The HTML written so far.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Escapes `&`, `<`, `>`, `"` and `'`: safe in content and in quoted attributes.
pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// Percent-encodes `text` for a query value or a path segment: everything but unreserved
/// characters.
pub fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_markup_is_not() {
        let mut h = Html::new();
        h.raw("<p title=\"")
            .text("\"><script>alert('x')</script>&")
            .raw("\">")
            .el("b", "<i>")
            .close("p");
        assert_eq!(
            h.as_str(),
            "<p title=\"&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;\"><b>&lt;i&gt;</b></p>"
        );
    }

    #[test]
    fn links_escape_their_address() {
        let mut h = Html::new();
        h.link("/x?a=1&b=\"2\"", "<x>");
        assert_eq!(h.as_str(), "<a href=\"/x?a=1&amp;b=&quot;2&quot;\">&lt;x&gt;</a>");
    }

    #[test]
    fn url_encoding_keeps_only_unreserved_characters() {
        assert_eq!(url_encode("Sofie Lund/<&>?=æ"), "Sofie%20Lund%2F%3C%26%3E%3F%3D%C3%A6");
        assert_eq!(url_encode("2208854626"), "2208854626");
    }
}
