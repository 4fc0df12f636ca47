//! Markdown to the plain text every channel gets. None of comptoir's channels shows
//! Markdown (email goes out as `text/plain; format=flowed`, the DM channels and the chat
//! widget show text raw), so emphasis markers go, list items stay as `- ` lines (numbered
//! ones keep their numbers), and a link becomes `text (url)`.
//!
//! Line breaks inside a paragraph are kept: a canned reply is written line by line the
//! way it should read in a chat bubble, not reflowed as a web page would be.

use pulldown_cmark::{Event, Parser, Tag, TagEnd};

/// The plain text of a Markdown reply.
#[must_use]
pub fn to_plain(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    // One entry per open list: the next number, or `None` for bullets.
    let mut lists: Vec<Option<u64>> = Vec::new();
    // Open links: where their text starts in `out`, and their target.
    let mut links: Vec<(usize, String)> = Vec::new();
    for event in Parser::new(markdown) {
        match event {
            Event::Start(Tag::List(first)) => {
                end_line(&mut out);
                lists.push(first);
            }
            Event::End(TagEnd::List(_)) => {
                lists.pop();
                if lists.is_empty() {
                    end_block(&mut out);
                }
            }
            Event::Start(Tag::Item) => {
                end_line(&mut out);
                let depth = lists.len().saturating_sub(1);
                out.push_str(&"  ".repeat(depth));
                match lists.last_mut() {
                    Some(Some(n)) => {
                        out.push_str(&format!("{n}. "));
                        *n += 1;
                    }
                    _ => out.push_str("- "),
                }
            }
            Event::End(TagEnd::Item) => end_line(&mut out),
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::CodeBlock) => {
                if lists.is_empty() {
                    end_block(&mut out);
                } else {
                    end_line(&mut out);
                }
            }
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                links.push((out.len(), dest_url.into_string()));
            }
            Event::End(TagEnd::Link | TagEnd::Image) => {
                if let Some((start, url)) = links.pop() {
                    let text = out[start..].trim();
                    let bare = url.strip_prefix("mailto:").unwrap_or(&url);
                    if !url.is_empty() && text != url && text != bare {
                        out.push_str(&format!(" ({url})"));
                    }
                }
            }
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => {
                out.push_str(&t);
            }
            Event::SoftBreak | Event::HardBreak => out.push('\n'),
            Event::Rule => {
                end_line(&mut out);
                out.push_str("----");
                end_block(&mut out);
            }
            _ => {}
        }
    }
    out.trim_end().to_owned()
}

/// Ends the current line, if one is started.
fn end_line(out: &mut String) {
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}

/// Ends a block: one blank line before the next, never two.
fn end_block(out: &mut String) {
    end_line(out);
    if !out.is_empty() && !out.ends_with("\n\n") {
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_keeps_lists_and_links() {
        let md = "# Returns\n\nHello **{{customer.first_name}}**,\nthanks for *writing*.\n\n\
                  * Pack the item\n* Print the [label](https://shop.example/label)\n\n\
                  1. One\n2. Two\n\nSee <https://shop.example/faq> or `code`.";
        assert_eq!(
            to_plain(md),
            "Returns\n\nHello {{customer.first_name}},\nthanks for writing.\n\n\
             - Pack the item\n- Print the label (https://shop.example/label)\n\n\
             1. One\n2. Two\n\nSee https://shop.example/faq or code."
        );
    }

    #[test]
    fn nested_lists_are_indented() {
        assert_eq!(to_plain("- a\n  - b\n- c"), "- a\n  - b\n- c");
    }

    #[test]
    fn plain_text_stays_as_is() {
        assert_eq!(to_plain("Line one\nLine two"), "Line one\nLine two");
        assert_eq!(to_plain(""), "");
    }
}
