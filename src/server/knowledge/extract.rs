//! A document's bytes (Markdown, plain text, HTML or PDF) turned into a title and sections of clean text,
//! each under its heading path. Pure: no I/O, no database.
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use scraper::{Html, Node};
use std::panic::{AssertUnwindSafe, catch_unwind};
use unicode_normalization::UnicodeNormalization;

/// What a document's bytes are, by file name extension (.md/.markdown, .txt/.text, .html/.htm, .pdf) or content type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    Markdown,
    PlainText,
    Html,
    Pdf,
}

impl SourceKind {
    /// The kind a file name's extension names, case-insensitively.
    pub fn from_file_name(name: &str) -> Option<SourceKind> {
        let (_, extension) = name.rsplit_once('.')?;
        match extension.to_ascii_lowercase().as_str() {
            "md" | "markdown" => Some(SourceKind::Markdown),
            "txt" | "text" => Some(SourceKind::PlainText),
            "html" | "htm" => Some(SourceKind::Html),
            "pdf" => Some(SourceKind::Pdf),
            _ => None,
        }
    }

    /// The kind a MIME type names, ignoring parameters such as `; charset=utf-8`.
    pub fn from_content_type(content_type: &str) -> Option<SourceKind> {
        let essence = content_type.split(';').next().unwrap_or_default().trim();
        match essence.to_ascii_lowercase().as_str() {
            "text/markdown" | "text/x-markdown" => Some(SourceKind::Markdown),
            "text/plain" => Some(SourceKind::PlainText),
            "text/html" | "application/xhtml+xml" => Some(SourceKind::Html),
            "application/pdf" => Some(SourceKind::Pdf),
            _ => None,
        }
    }

    /// The stored name: "markdown" | "text" | "html" | "pdf".
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Markdown => "markdown",
            SourceKind::PlainText => "text",
            SourceKind::Html => "html",
            SourceKind::Pdf => "pdf",
        }
    }

    /// The kind a stored name (from [`SourceKind::as_str`]) stands for.
    pub fn parse(s: &str) -> Option<SourceKind> {
        match s {
            "markdown" => Some(SourceKind::Markdown),
            "text" => Some(SourceKind::PlainText),
            "html" => Some(SourceKind::Html),
            "pdf" => Some(SourceKind::Pdf),
            _ => None,
        }
    }
}

/// The largest document accepted (bytes).
pub const MAX_DOCUMENT_BYTES: usize = 5 * 1024 * 1024;

/// A document as text: its own title if it has one (Markdown's first `# ` H1, HTML's <h1> or <title>), and its sections in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    pub title: Option<String>,
    pub sections: Vec<Section>,
}

/// A run of text under one heading path, e.g. ["Returns", "Refund times"] (empty for text before any heading).
/// Paragraphs are separated by a blank line; lines within a paragraph (list items, table rows, code) by "\n".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub headings: Vec<String>,
    pub text: String,
}

/// Why a document could not be turned into text; the messages are shown to the person who uploaded it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ExtractError {
    #[error("The file is larger than 5 MB.")]
    TooLarge,
    #[error("The file is not UTF-8 text.")]
    NotText,
    #[error("The PDF could not be read: {0}")]
    BadPdf(String),
    #[error("The PDF has no text layer (a scanned image?): there is nothing to read.")]
    NoPdfText,
    #[error("The document has no text.")]
    Empty,
    #[error("The HTML is nested too deeply to read (more than 1,000 levels).")]
    TooDeep,
}

/// html5ever's time grows with the square of the nesting depth: a 5 MB file of nested `<div>`s
/// would hold a core for an hour. Real pages stay far below this.
const MAX_HTML_DEPTH: usize = 1_000;

/// A rough upper bound of an HTML text's element nesting, counting only elements that must be
/// closed explicitly (void and implicitly closed elements do not nest by themselves).
fn html_depth(text: &str) -> usize {
    const FLAT: &[&str] = &[
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr", "p", "li", "td", "th", "tr", "dt", "dd", "option", "!--", "!doctype",
    ];
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        let end = rest.find('>').unwrap_or(rest.len());
        let tag = &rest[..end];
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '/')
            .collect::<String>()
            .to_ascii_lowercase();
        if name.is_empty() || FLAT.contains(&name.as_str()) || tag.ends_with('/') {
            continue;
        }
        if closing {
            depth = depth.saturating_sub(1);
        } else {
            depth += 1;
            deepest = deepest.max(depth);
        }
    }
    deepest
}

/// Turns a document's bytes into its title and sections of clean (NFC, whitespace-collapsed) text.
pub fn extract(kind: SourceKind, bytes: &[u8]) -> Result<Extracted, ExtractError> {
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(ExtractError::TooLarge);
    }
    let builder = match kind {
        SourceKind::Markdown => markdown(&decode(bytes)?),
        SourceKind::PlainText => plain_text(&decode(bytes)?),
        SourceKind::Html => {
            let text = decode(bytes)?;
            if html_depth(&text) > MAX_HTML_DEPTH {
                return Err(ExtractError::TooDeep);
            }
            html(&text)
        }
        SourceKind::Pdf => plain_text(&unwrap_lines(&pdf_text(bytes)?)),
    };
    builder.finish()
}

/// Strict UTF-8 (never lossy: a wrongly declared binary would index as garbage), without a BOM, with "\n"
/// line ends. NUL marks binary data, and PostgreSQL text cannot hold it either.
fn decode(bytes: &[u8]) -> Result<String, ExtractError> {
    let text = std::str::from_utf8(bytes).map_err(|_| ExtractError::NotText)?;
    if text.contains('\0') {
        return Err(ExtractError::NotText);
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    Ok(text.replace("\r\n", "\n").replace('\r', "\n"))
}

/// NFC, control characters dropped, runs of whitespace (newlines included) as one space, trimmed.
fn clean_line(line: &str) -> String {
    let line: String = line.nfc().collect();
    line.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Collects headings and paragraphs, whatever the source format, into the title and sections.
#[derive(Default)]
struct Builder {
    title: Option<String>,
    /// The open headings with their levels (1–6), outermost first.
    path: Vec<(u8, String)>,
    paragraphs: Vec<String>,
    sections: Vec<Section>,
}

impl Builder {
    /// A heading closes the current section; the first H1 becomes the title instead of a path element.
    fn heading(&mut self, level: u8, text: &str) {
        let text = clean_line(text);
        if text.is_empty() {
            return;
        }
        self.flush();
        self.path.retain(|(open, _)| *open < level);
        if level == 1 && self.title.is_none() {
            self.title = Some(text);
        } else {
            self.path.push((level, text));
        }
    }

    /// One paragraph; its lines are kept, each cleaned, blank ones dropped.
    fn paragraph(&mut self, text: &str) {
        let lines: Vec<String> = text
            .lines()
            .map(clean_line)
            .filter(|l| !l.is_empty())
            .collect();
        if !lines.is_empty() {
            self.paragraphs.push(lines.join("\n"));
        }
    }

    fn flush(&mut self) {
        if !self.paragraphs.is_empty() {
            self.sections.push(Section {
                headings: self.path.iter().map(|(_, text)| text.clone()).collect(),
                text: std::mem::take(&mut self.paragraphs).join("\n\n"),
            });
        }
    }

    fn finish(mut self) -> Result<Extracted, ExtractError> {
        self.flush();
        if self.sections.is_empty() {
            return Err(ExtractError::Empty);
        }
        Ok(Extracted {
            title: self.title,
            sections: self.sections,
        })
    }
}

/// Markdown by CommonMark events: block structure kept, inline markup reduced to its text.
fn markdown(text: &str) -> Builder {
    let mut walker = MarkdownWalker::default();
    for event in Parser::new_ext(text, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH) {
        walker.event(event);
    }
    walker.block();
    walker.out
}

#[derive(Default)]
struct MarkdownWalker {
    out: Builder,
    /// The block being read: a paragraph, heading, list, code block or table.
    buf: String,
    cell: Option<String>,
    row: Vec<String>,
    lists: usize,
    images: usize,
}

impl MarkdownWalker {
    fn event(&mut self, event: Event) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text) | Event::Code(text) if self.images == 0 => self.text(&text),
            Event::SoftBreak => self.text(" "),
            Event::HardBreak => self.text("\n"),
            Event::Rule => self.block(),
            _ => {}
        }
    }

    fn start(&mut self, tag: Tag) {
        match tag {
            Tag::Heading { .. } => self.block(),
            Tag::CodeBlock(_) | Tag::Table(_) if self.lists == 0 => self.block(),
            // A loose list's item paragraphs stay lines of the list.
            Tag::Paragraph | Tag::CodeBlock(_) if self.lists > 0 && !self.buf.ends_with("- ") => {
                self.newline()
            }
            Tag::List(_) => {
                if self.lists == 0 {
                    self.block();
                }
                self.lists += 1;
            }
            Tag::Item => {
                self.newline();
                self.buf.push_str("- ");
            }
            Tag::TableCell => self.cell = Some(String::new()),
            Tag::Image { .. } => self.images += 1,
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Heading(level) => {
                let text = std::mem::take(&mut self.buf);
                self.out.heading(level as u8, &text);
            }
            TagEnd::Paragraph | TagEnd::CodeBlock | TagEnd::Table if self.lists == 0 => {
                self.block()
            }
            TagEnd::List(_) => {
                self.lists = self.lists.saturating_sub(1);
                if self.lists == 0 {
                    self.block();
                }
            }
            TagEnd::TableCell => self.row.extend(self.cell.take()),
            TagEnd::TableHead | TagEnd::TableRow => {
                self.newline();
                let row = std::mem::take(&mut self.row).join(" | ");
                self.buf.push_str(&row);
            }
            TagEnd::Image => self.images = self.images.saturating_sub(1),
            _ => {}
        }
    }

    fn text(&mut self, text: &str) {
        match &mut self.cell {
            Some(cell) => cell.push_str(text),
            None => self.buf.push_str(text),
        }
    }

    fn newline(&mut self) {
        if !self.buf.is_empty() && !self.buf.ends_with('\n') {
            self.buf.push('\n');
        }
    }

    fn block(&mut self) {
        self.out.paragraph(&std::mem::take(&mut self.buf));
    }
}

/// Plain text: paragraphs split on blank lines; a line underlined by `===` (level 1) or `---` (level 2)
/// is a heading, as in Setext; nothing else is.
fn plain_text(text: &str) -> Builder {
    let mut out = Builder::default();
    let mut lines: Vec<&str> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            out.paragraph(&lines.join("\n"));
            lines.clear();
        } else if let Some(level) = setext_level(line) {
            // Without a line above, the underline is a rule: it only ends the paragraph.
            let heading = lines.pop();
            out.paragraph(&lines.join("\n"));
            lines.clear();
            if let Some(heading) = heading {
                out.heading(level, heading);
            }
        } else {
            lines.push(line);
        }
    }
    out.paragraph(&lines.join("\n"));
    out
}

fn setext_level(line: &str) -> Option<u8> {
    let line = line.trim();
    if line.len() < 3 {
        None
    } else if line.chars().all(|c| c == '=') {
        Some(1)
    } else if line.chars().all(|c| c == '-') {
        Some(2)
    } else {
        None
    }
}

/// Elements whose text is page furniture or code, never content.
const DROPPED: &[&str] = &[
    "script", "style", "noscript", "nav", "header", "footer", "aside", "form", "svg", "template",
];

/// Elements that start and end a paragraph.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "blockquote",
    "section",
    "article",
    "main",
    "body",
    "dl",
    "dt",
    "dd",
    "figure",
    "figcaption",
    "address",
    "hr",
    "caption",
    "details",
    "summary",
    "center",
    "hgroup",
    "fieldset",
    "legend",
];

/// HTML by walking the parsed tree: dropped elements skipped whole, headings as for Markdown, block
/// elements as paragraphs, list items as "- " lines, table rows as lines of cells joined by " | ".
fn html(text: &str) -> Builder {
    let document = Html::parse_document(text);
    let mut walker = HtmlWalker::default();
    // Iterative depth-first walk: deeply nested markup must not overflow the stack.
    let mut node = document.tree.root();
    loop {
        let entered = walker.open(node.value());
        if entered && let Some(child) = node.first_child() {
            node = child;
            continue;
        }
        if entered {
            walker.close();
        }
        loop {
            if let Some(sibling) = node.next_sibling() {
                node = sibling;
                break;
            }
            let Some(parent) = node.parent() else {
                walker.block();
                let mut out = walker.out;
                if out.title.is_none() {
                    out.title = walker
                        .page_title
                        .map(|t| clean_line(&t))
                        .filter(|t| !t.is_empty());
                }
                return out;
            };
            node = parent;
            walker.close();
        }
    }
}

/// What an open element started, undone when it closes.
enum Frame<'a> {
    Element(&'a str),
    Capture(Capture),
    Other,
}

/// An element whose text is collected apart from the paragraph being read.
enum Capture {
    Heading(u8),
    Title,
    Cell,
}

#[derive(Default)]
struct HtmlWalker<'a> {
    out: Builder,
    buf: String,
    capture: Option<String>,
    stack: Vec<Frame<'a>>,
    row: Vec<String>,
    lists: usize,
    tables: usize,
    pre: usize,
    page_title: Option<String>,
}

impl<'a> HtmlWalker<'a> {
    /// Reads one node; true when its children are to be walked (and `close` called after them).
    fn open(&mut self, node: &'a Node) -> bool {
        let frame = match node {
            Node::Text(text) => {
                self.text(text);
                return false;
            }
            Node::Element(element) if DROPPED.contains(&element.name()) => return false,
            Node::Element(element) => self.start(element.name()),
            Node::Document | Node::Fragment => Frame::Other,
            _ => return false,
        };
        self.stack.push(frame);
        true
    }

    fn start(&mut self, name: &'a str) -> Frame<'a> {
        let capture = match name {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                self.block();
                Some(Capture::Heading(name.as_bytes()[1] - b'0'))
            }
            "title" => Some(Capture::Title),
            "td" | "th" => Some(Capture::Cell),
            _ => None,
        };
        if let Some(capture) = capture
            && self.capture.is_none()
        {
            self.capture = Some(String::new());
            return Frame::Capture(capture);
        }
        match name {
            "li" => {
                self.newline();
                self.buf.push_str("- ");
            }
            "ul" | "ol" => {
                self.boundary();
                self.lists += 1;
            }
            "table" => {
                self.boundary();
                self.tables += 1;
            }
            "pre" => {
                self.boundary();
                self.pre += 1;
            }
            "tr" => self.row.clear(),
            "br" => self.line_break(),
            _ if BLOCKS.contains(&name) => self.boundary(),
            _ => {}
        }
        Frame::Element(name)
    }

    fn close(&mut self) {
        match self.stack.pop() {
            Some(Frame::Capture(capture)) => {
                let text = self.capture.take().unwrap_or_default();
                match capture {
                    Capture::Heading(level) => self.out.heading(level, &text),
                    Capture::Title => {
                        self.page_title.get_or_insert(text);
                    }
                    Capture::Cell => self.row.push(clean_line(&text)),
                }
            }
            Some(Frame::Element(name)) => self.end(name),
            Some(Frame::Other) | None => {}
        }
    }

    fn end(&mut self, name: &str) {
        match name {
            "li" => self.newline(),
            "ul" | "ol" => {
                self.lists = self.lists.saturating_sub(1);
                self.boundary();
            }
            "table" => {
                self.tables = self.tables.saturating_sub(1);
                self.boundary();
            }
            "pre" => {
                self.pre = self.pre.saturating_sub(1);
                self.boundary();
            }
            "tr" if !self.row.is_empty() => {
                self.newline();
                let row = std::mem::take(&mut self.row).join(" | ");
                self.buf.push_str(&row);
                self.buf.push('\n');
            }
            _ if BLOCKS.contains(&name) => self.boundary(),
            _ => {}
        }
    }

    /// Source whitespace is layout, except inside <pre>; line structure comes from the elements.
    fn text(&mut self, text: &str) {
        let keep_lines = self.pre > 0 && self.capture.is_none();
        let target = self.capture.as_mut().unwrap_or(&mut self.buf);
        target.extend(text.chars().map(|c| {
            if c.is_whitespace() && !(keep_lines && c == '\n') {
                ' '
            } else {
                c
            }
        }));
    }

    /// The edge of a block: a new paragraph, or a new line inside a list or table, or a space inside a
    /// heading or cell.
    fn boundary(&mut self) {
        if let Some(capture) = &mut self.capture {
            capture.push(' ');
        } else if self.lists + self.tables > 0 {
            self.newline();
        } else {
            self.block();
        }
    }

    fn line_break(&mut self) {
        match &mut self.capture {
            Some(capture) => capture.push(' '),
            None => self.buf.push('\n'),
        }
    }

    fn newline(&mut self) {
        if !self.buf.is_empty() && !self.buf.ends_with('\n') {
            self.buf.push('\n');
        }
    }

    fn block(&mut self) {
        self.out.paragraph(&std::mem::take(&mut self.buf));
    }
}

/// The PDF's text layer. pdf-extract panics on some malformed files, so a panic is caught and reported
/// like any other unreadable file.
fn pdf_text(bytes: &[u8]) -> Result<String, ExtractError> {
    let text = match catch_unwind(AssertUnwindSafe(|| {
        pdf_extract::extract_text_from_mem(bytes)
    })) {
        Ok(Ok(text)) => text,
        Ok(Err(error)) => return Err(ExtractError::BadPdf(pdf_error_message(&error).to_owned())),
        Err(_) => {
            return Err(ExtractError::BadPdf(
                "it is damaged or uses a feature that is not supported.".to_owned(),
            ));
        }
    };
    if text.chars().all(|c| c.is_whitespace() || c.is_control()) {
        return Err(ExtractError::NoPdfText);
    }
    Ok(text)
}

/// A short reason for the uploader; lopdf's own messages name parser internals.
fn pdf_error_message(error: &pdf_extract::OutputError) -> &'static str {
    use pdf_extract::Error;
    match error {
        pdf_extract::OutputError::PdfError(
            Error::Decryption(_) | Error::InvalidPassword | Error::AlreadyEncrypted,
        ) => "it is password-protected.",
        _ => "it is damaged or not a PDF.",
    }
}

/// Joins the visual lines of each paragraph of extracted PDF text, mending words hyphenated across a
/// line break; blank lines still separate paragraphs.
fn unwrap_lines(text: &str) -> String {
    let mut out = String::new();
    let mut paragraph = String::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() {
            push_paragraph(&mut out, &mut paragraph);
            continue;
        }
        let mends_hyphen = line.starts_with(char::is_lowercase)
            && paragraph
                .strip_suffix('-')
                .is_some_and(|before| before.ends_with(char::is_alphabetic));
        if mends_hyphen {
            paragraph.pop();
        } else if !paragraph.is_empty() {
            paragraph.push(' ');
        }
        paragraph.push_str(line);
    }
    push_paragraph(&mut out, &mut paragraph);
    out
}

fn push_paragraph(out: &mut String, paragraph: &mut String) {
    if !paragraph.is_empty() {
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(&std::mem::take(paragraph));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn section(headings: &[&str], text: &str) -> Section {
        Section {
            headings: headings.iter().map(|h| h.to_string()).collect(),
            text: text.to_owned(),
        }
    }

    fn extract_str(kind: SourceKind, text: &str) -> Extracted {
        extract(kind, text.as_bytes()).unwrap()
    }

    #[test]
    fn source_kind_is_known_by_file_name_extension() {
        assert_eq!(
            SourceKind::from_file_name("faq.md"),
            Some(SourceKind::Markdown)
        );
        assert_eq!(
            SourceKind::from_file_name("Guide.MARKDOWN"),
            Some(SourceKind::Markdown)
        );
        assert_eq!(
            SourceKind::from_file_name("notes.txt"),
            Some(SourceKind::PlainText)
        );
        assert_eq!(
            SourceKind::from_file_name("notes.text"),
            Some(SourceKind::PlainText)
        );
        assert_eq!(
            SourceKind::from_file_name("page.HTM"),
            Some(SourceKind::Html)
        );
        assert_eq!(
            SourceKind::from_file_name("page.v2.html"),
            Some(SourceKind::Html)
        );
        assert_eq!(
            SourceKind::from_file_name("terms.pdf"),
            Some(SourceKind::Pdf)
        );
        assert_eq!(SourceKind::from_file_name("photo.jpg"), None);
        assert_eq!(SourceKind::from_file_name("README"), None);
    }

    #[test]
    fn source_kind_is_known_by_content_type_without_its_parameters() {
        assert_eq!(
            SourceKind::from_content_type("text/markdown"),
            Some(SourceKind::Markdown)
        );
        assert_eq!(
            SourceKind::from_content_type("text/plain; charset=utf-8"),
            Some(SourceKind::PlainText)
        );
        assert_eq!(
            SourceKind::from_content_type("Text/HTML;charset=UTF-8"),
            Some(SourceKind::Html)
        );
        assert_eq!(
            SourceKind::from_content_type("application/pdf"),
            Some(SourceKind::Pdf)
        );
        assert_eq!(SourceKind::from_content_type("image/png"), None);
        assert_eq!(SourceKind::from_content_type(""), None);
    }

    #[test]
    fn source_kind_names_parse_back_to_the_kind() {
        for kind in [
            SourceKind::Markdown,
            SourceKind::PlainText,
            SourceKind::Html,
            SourceKind::Pdf,
        ] {
            assert_eq!(SourceKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(SourceKind::PlainText.as_str(), "text");
        assert_eq!(SourceKind::parse("docx"), None);
    }

    #[test]
    fn markdown_headings_become_the_passage_heading_path() {
        let doc = extract_str(
            SourceKind::Markdown,
            "# Help centre\n\nWelcome.\n\n## Returns\n\nWithin 30 days.\n\n### Refund times\n\n5 to 10 days.\n\n\
             #### Cards\n\nCards are quickest.\n\n## Shipping\n\nWe ship daily.\n",
        );
        assert_eq!(doc.title.as_deref(), Some("Help centre"));
        assert_eq!(
            doc.sections,
            vec![
                section(&[], "Welcome."),
                section(&["Returns"], "Within 30 days."),
                section(&["Returns", "Refund times"], "5 to 10 days."),
                section(&["Returns", "Refund times", "Cards"], "Cards are quickest."),
                section(&["Shipping"], "We ship daily."),
            ]
        );
    }

    #[test]
    fn markdown_without_an_h1_has_no_title_and_a_later_h1_is_a_path_heading() {
        let doc = extract_str(SourceKind::Markdown, "## Intro\n\nHello.\n");
        assert_eq!(doc.title, None);
        assert_eq!(doc.sections, vec![section(&["Intro"], "Hello.")]);

        let doc = extract_str(
            SourceKind::Markdown,
            "# One\n\nA.\n\n# Two\n\nB.\n\n## Sub\n\nC.\n",
        );
        assert_eq!(doc.title.as_deref(), Some("One"));
        assert_eq!(
            doc.sections,
            vec![
                section(&[], "A."),
                section(&["Two"], "B."),
                section(&["Two", "Sub"], "C.")
            ]
        );
    }

    #[test]
    fn markdown_paragraphs_are_separated_by_blank_lines_and_soft_breaks_joined() {
        let doc = extract_str(
            SourceKind::Markdown,
            "First line\nsame paragraph.\n\n\n\nSecond   paragraph.\n",
        );
        assert_eq!(
            doc.sections,
            vec![section(
                &[],
                "First line same paragraph.\n\nSecond paragraph."
            )]
        );
    }

    #[test]
    fn markdown_lists_links_images_code_and_tables_become_plain_lines() {
        let md = "Read the [terms](https://example.com/terms) ![logo](logo.png) and `code`.\n\n\
                  - one\n- two\n  - nested\n\n\
                  1. first\n\n   loose paragraph\n2. second\n\n\
                  ```sh\nprintf 'hi'\necho done\n```\n\n\
                  | Method | Time |\n|---|---|\n| Card | 5 days |\n| Bank | 10 days |\n\n\
                  > Quoted *text*.\n";
        let doc = extract_str(SourceKind::Markdown, md);
        assert_eq!(
            doc.sections,
            vec![section(
                &[],
                "Read the terms and code.\n\n\
                 - one\n- two\n- nested\n\n\
                 - first\nloose paragraph\n- second\n\n\
                 printf 'hi'\necho done\n\n\
                 Method | Time\nCard | 5 days\nBank | 10 days\n\n\
                 Quoted text."
            )]
        );
    }

    #[test]
    fn plain_text_paragraphs_split_on_blank_lines_without_headings() {
        let doc = extract_str(
            SourceKind::PlainText,
            "Line one\nline two\n\n  \nSecond\tparagraph  here.\n# Not a heading\n",
        );
        assert_eq!(doc.title, None);
        assert_eq!(
            doc.sections,
            vec![section(
                &[],
                "Line one\nline two\n\nSecond paragraph here.\n# Not a heading"
            )]
        );
    }

    #[test]
    fn plain_text_setext_underlines_make_headings() {
        let text = "Intro text.\n\nHelp centre\n===========\nWelcome.\n\nReturns\n-------\n\nWithin 30 days.\nStill here\n---\nSub text.\n\n---\nAfter a rule.\n";
        let doc = extract_str(SourceKind::PlainText, text);
        assert_eq!(doc.title.as_deref(), Some("Help centre"));
        assert_eq!(
            doc.sections,
            vec![
                section(&[], "Intro text."),
                section(&[], "Welcome."),
                section(&["Returns"], "Within 30 days."),
                section(&["Still here"], "Sub text.\n\nAfter a rule."),
            ]
        );
    }

    #[test]
    fn plain_text_strips_the_bom_and_accepts_crlf() {
        let doc = extract(
            SourceKind::PlainText,
            b"\xef\xbb\xbfTitle\r\n=====\r\nOne\r\ntwo\r\n\r\nThree\r\n",
        )
        .unwrap();
        assert_eq!(doc.title.as_deref(), Some("Title"));
        assert_eq!(doc.sections, vec![section(&[], "One\ntwo\n\nThree")]);
    }

    #[test]
    fn text_is_nfc_normalised_and_runs_of_spaces_collapsed() {
        let doc = extract_str(
            SourceKind::PlainText,
            "  Cafe\u{301}   au\u{a0}lait\t\tnoir  \n",
        );
        assert_eq!(doc.sections, vec![section(&[], "Caf\u{e9} au lait noir")]);
        let doc = extract_str(SourceKind::Markdown, "## Re\u{301}sume\u{301}\n\nx\n");
        assert_eq!(
            doc.sections[0].headings,
            vec!["R\u{e9}sum\u{e9}".to_owned()]
        );
    }

    #[test]
    fn deeply_nested_html_is_refused_before_parsing() {
        let deep = "<div><span>".repeat(1_200) + "text";
        assert_eq!(
            extract(SourceKind::Html, deep.as_bytes()),
            Err(ExtractError::TooDeep)
        );
        let flat = "<p>one<p>two<br><img src=x>".repeat(2_000);
        assert!(html_depth(&flat) < 5, "{}", html_depth(&flat));
    }

    #[test]
    fn html_noise_is_removed() {
        let doc = extract(
            SourceKind::Html,
            include_bytes!("../../../tests/fixtures/knowledge/returns.html"),
        )
        .unwrap();
        let all: String = doc
            .sections
            .iter()
            .map(|s| format!("{:?} {}\n", s.headings, s.text))
            .collect();
        for noise in [
            "font-family",
            "dataLayer",
            "tracking",
            "logo",
            "menu",
            "enable JavaScript",
            "svg label",
            "Template text",
            "sidebar",
            "Newsletter",
            "footer",
            "Privacy",
        ] {
            assert!(!all.contains(noise), "{noise:?} left in {all}");
        }
    }

    #[test]
    fn html_headings_lists_tables_and_entities_become_sections() {
        let doc = extract(
            SourceKind::Html,
            include_bytes!("../../../tests/fixtures/knowledge/returns.html"),
        )
        .unwrap();
        assert_eq!(doc.title.as_deref(), Some("Returns & refunds"));
        assert_eq!(
            doc.sections,
            vec![
                section(&[], "We want you to be happy with every order."),
                section(
                    &["Returns"],
                    "Items can be returned within 30 days of delivery. Read the full terms.\n\n\
                     - Keep the receipt.\n- Use the original packaging."
                ),
                section(
                    &["Returns", "Damaged items"],
                    "Send us a photo of the damage first. Caf\u{e9} mugs are fragile."
                ),
                section(
                    &["Refund times"],
                    "Method | Time\nCard | 5\u{2013}10 days\n\nRefunds are never charged."
                ),
            ]
        );
    }

    #[test]
    fn html_title_falls_back_to_the_title_element_and_pre_keeps_its_lines() {
        let html = "<html><head><title> Shop\n FAQ </title></head><body><div>Intro<br>next line</div>\
                    <pre>  a  b\nc</pre><p>Plain <em>text</em></p></body></html>";
        let doc = extract_str(SourceKind::Html, html);
        assert_eq!(doc.title.as_deref(), Some("Shop FAQ"));
        assert_eq!(
            doc.sections,
            vec![section(&[], "Intro\nnext line\n\na b\nc\n\nPlain text")]
        );
    }

    #[test]
    fn html_nested_just_under_the_limit_is_read() {
        // 1,000 levels: the most accepted (see MAX_HTML_DEPTH), read without a stack overflow.
        let html = format!(
            "{}deep text{}",
            "<div><span>".repeat(500),
            "</span></div>".repeat(500)
        );
        let doc = extract_str(SourceKind::Html, &html);
        assert_eq!(doc.sections, vec![section(&[], "deep text")]);
    }

    #[test]
    fn pdf_fixture_produces_its_text() {
        let doc = extract(
            SourceKind::Pdf,
            include_bytes!("../../../tests/fixtures/knowledge/returns.pdf"),
        )
        .unwrap();
        assert_eq!(doc.title, None);
        assert_eq!(
            doc.sections,
            vec![section(
                &[],
                "Returns\n\n\
                 Items can be returned within 30 days of delivery. Keep the receipt and the original packaging so that the return is quick.\n\n\
                 Refund times\n\n\
                 Refunds reach your card in 5 to 10 working days (ty\u{f6}p\u{e4}iv\u{e4}\u{e4})."
            )]
        );
    }

    #[test]
    fn pdf_lines_are_unwrapped_and_hyphenation_mended() {
        assert_eq!(
            unwrap_lines(
                "\n Items can be returned in deliv-\nery time.\nWell-\nKnown, e-\n\n\n second para-\ngraph\n"
            ),
            "Items can be returned in delivery time. Well- Known, e-\n\nsecond paragraph"
        );
    }

    #[test]
    fn corrupt_pdf_is_a_bad_pdf_not_a_panic() {
        let error = extract(
            SourceKind::Pdf,
            include_bytes!("../../../tests/fixtures/knowledge/corrupt.pdf"),
        )
        .unwrap_err();
        assert!(matches!(error, ExtractError::BadPdf(_)), "{error:?}");
        let error = extract(
            SourceKind::Pdf,
            include_bytes!("../../../tests/fixtures/knowledge/panics.pdf"),
        )
        .unwrap_err();
        assert!(matches!(error, ExtractError::BadPdf(_)), "{error:?}");
        for bytes in [&b"not a pdf at all"[..], b"%PDF-1.7\n", b"", &[0xff; 64]] {
            let error = extract(SourceKind::Pdf, bytes).unwrap_err();
            assert!(matches!(error, ExtractError::BadPdf(_)), "{error:?}");
        }
        assert_eq!(
            extract(SourceKind::Pdf, b"garbage")
                .unwrap_err()
                .to_string(),
            "The PDF could not be read: it is damaged or not a PDF."
        );
    }

    #[test]
    fn pdf_without_a_text_layer_has_no_pdf_text() {
        let error = extract(
            SourceKind::Pdf,
            include_bytes!("../../../tests/fixtures/knowledge/scanned.pdf"),
        )
        .unwrap_err();
        assert_eq!(error, ExtractError::NoPdfText);
    }

    #[test]
    fn non_utf8_text_is_not_text() {
        for kind in [
            SourceKind::Markdown,
            SourceKind::PlainText,
            SourceKind::Html,
        ] {
            assert_eq!(
                extract(kind, b"caf\xe9 latin-1"),
                Err(ExtractError::NotText)
            );
            assert_eq!(extract(kind, b"binary\0data"), Err(ExtractError::NotText));
        }
    }

    #[test]
    fn too_large_is_refused_before_anything_else() {
        let big = vec![0xff; MAX_DOCUMENT_BYTES + 1];
        for kind in [
            SourceKind::Markdown,
            SourceKind::PlainText,
            SourceKind::Html,
            SourceKind::Pdf,
        ] {
            assert_eq!(extract(kind, &big), Err(ExtractError::TooLarge));
        }
        let just_fits = "a ".repeat(MAX_DOCUMENT_BYTES / 2);
        assert!(extract(SourceKind::PlainText, just_fits.as_bytes()).is_ok());
    }

    #[test]
    fn documents_without_text_are_empty() {
        assert_eq!(
            extract(SourceKind::PlainText, b""),
            Err(ExtractError::Empty)
        );
        assert_eq!(
            extract(SourceKind::PlainText, b" \n\t\r\n"),
            Err(ExtractError::Empty)
        );
        assert_eq!(
            extract(SourceKind::Markdown, b"# Only a title\n\n![img](a.png)\n"),
            Err(ExtractError::Empty)
        );
        assert_eq!(
            extract(SourceKind::Html, b"<html><head><title>T</title><script>x()</script></head><body><nav>Menu</nav></body></html>"),
            Err(ExtractError::Empty)
        );
    }
}
