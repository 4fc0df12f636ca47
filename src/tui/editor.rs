//! A small multi-line text buffer with a cursor: the composer and the command line.
//! Pure state; the cursor moves by grapheme so accents and emoji are never split.

use unicode_segmentation::UnicodeSegmentation;

/// Text being typed, as lines, with a cursor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Editor {
    lines: Vec<String>,
    /// Line index.
    row: usize,
    /// Byte offset in the line, always on a grapheme boundary.
    col: usize,
}

impl Default for Editor {
    fn default() -> Self {
        Editor::new()
    }
}

impl Editor {
    /// An empty buffer.
    #[must_use]
    pub fn new() -> Self {
        Editor {
            lines: vec![String::new()],
            row: 0,
            col: 0,
        }
    }

    /// A buffer holding `text`, cursor at the end.
    #[must_use]
    pub fn with_text(text: &str) -> Self {
        let mut e = Editor::new();
        e.insert_str(text);
        e
    }

    /// The whole text.
    #[must_use]
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }

    /// The lines, for drawing.
    #[must_use]
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// True when nothing but white space was typed.
    #[must_use]
    pub fn is_blank(&self) -> bool {
        self.lines.iter().all(|l| l.trim().is_empty())
    }

    /// The cursor as (line, byte offset in that line).
    #[must_use]
    pub fn cursor(&self) -> (usize, usize) {
        (self.row, self.col)
    }

    fn line(&self) -> &str {
        self.lines.get(self.row).map_or("", String::as_str)
    }

    /// Types one character (a newline splits the line).
    pub fn insert(&mut self, ch: char) {
        if ch == '\n' {
            self.newline();
            return;
        }
        if let Some(line) = self.lines.get_mut(self.row) {
            line.insert(self.col, ch);
            self.col += ch.len_utf8();
        }
    }

    /// Inserts pasted text, line breaks included (`\r\n` and `\r` become `\n`).
    pub fn insert_str(&mut self, text: &str) {
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        for ch in text.chars() {
            self.insert(ch);
        }
    }

    /// Splits the line at the cursor.
    pub fn newline(&mut self) {
        let rest = self
            .lines
            .get_mut(self.row)
            .map(|l| l.split_off(self.col))
            .unwrap_or_default();
        self.row += 1;
        self.lines.insert(self.row, rest);
        self.col = 0;
    }

    /// One grapheme left, or to the end of the previous line.
    pub fn left(&mut self) {
        if self.col > 0 {
            self.col = prev_boundary(self.line(), self.col);
        } else if self.row > 0 {
            self.row -= 1;
            self.col = self.line().len();
        }
    }

    /// One grapheme right, or to the start of the next line.
    pub fn right(&mut self) {
        if self.col < self.line().len() {
            self.col = next_boundary(self.line(), self.col);
        } else if self.row + 1 < self.lines.len() {
            self.row += 1;
            self.col = 0;
        }
    }

    /// To the start of the previous word.
    pub fn word_left(&mut self) {
        if self.col == 0 {
            self.left();
            return;
        }
        self.col = word_start_before(self.line(), self.col);
    }

    /// To the end of the next word.
    pub fn word_right(&mut self) {
        if self.col >= self.line().len() {
            self.right();
            return;
        }
        let line = self.line();
        self.col = line
            .unicode_word_indices()
            .map(|(i, w)| i + w.len())
            .find(|&end| end > self.col)
            .unwrap_or(line.len());
    }

    /// To the start of the line.
    pub fn home(&mut self) {
        self.col = 0;
    }

    /// To the end of the line.
    pub fn end(&mut self) {
        self.col = self.line().len();
    }

    /// One line up, keeping the column as far as the line allows.
    pub fn up(&mut self) {
        if self.row > 0 {
            let n = graphemes_before(self.line(), self.col);
            self.row -= 1;
            self.col = offset_of_grapheme(self.line(), n);
        }
    }

    /// One line down.
    pub fn down(&mut self) {
        if self.row + 1 < self.lines.len() {
            let n = graphemes_before(self.line(), self.col);
            self.row += 1;
            self.col = offset_of_grapheme(self.line(), n);
        }
    }

    /// Deletes the grapheme before the cursor, joining lines at a line start.
    pub fn delete_back(&mut self) {
        if self.col > 0 {
            let start = prev_boundary(self.line(), self.col);
            if let Some(line) = self.lines.get_mut(self.row) {
                line.replace_range(start..self.col, "");
            }
            self.col = start;
        } else if self.row > 0 {
            let line = self.lines.remove(self.row);
            self.row -= 1;
            self.col = self.line().len();
            if let Some(prev) = self.lines.get_mut(self.row) {
                prev.push_str(&line);
            }
        }
    }

    /// Deletes the grapheme under the cursor, joining the next line at a line end.
    pub fn delete_forward(&mut self) {
        if self.col < self.line().len() {
            let end = next_boundary(self.line(), self.col);
            if let Some(line) = self.lines.get_mut(self.row) {
                line.replace_range(self.col..end, "");
            }
        } else if self.row + 1 < self.lines.len() {
            let next = self.lines.remove(self.row + 1);
            if let Some(line) = self.lines.get_mut(self.row) {
                line.push_str(&next);
            }
        }
    }

    /// Deletes the word before the cursor (and the spaces after it).
    pub fn delete_word_back(&mut self) {
        if self.col == 0 {
            self.delete_back();
            return;
        }
        let start = word_start_before(self.line(), self.col);
        if let Some(line) = self.lines.get_mut(self.row) {
            line.replace_range(start..self.col, "");
        }
        self.col = start;
    }

    /// Deletes from the cursor to the end of the line (joins the next line if at the end).
    pub fn delete_to_end(&mut self) {
        if self.col >= self.line().len() {
            self.delete_forward();
        } else if let Some(line) = self.lines.get_mut(self.row) {
            line.truncate(self.col);
        }
    }
}

fn prev_boundary(line: &str, col: usize) -> usize {
    line[..col]
        .grapheme_indices(true)
        .next_back()
        .map_or(0, |(i, _)| i)
}

fn next_boundary(line: &str, col: usize) -> usize {
    line[col..]
        .graphemes(true)
        .next()
        .map_or(line.len(), |g| col + g.len())
}

fn word_start_before(line: &str, col: usize) -> usize {
    line[..col]
        .unicode_word_indices()
        .next_back()
        .map_or(0, |(i, _)| i)
}

fn graphemes_before(line: &str, col: usize) -> usize {
    line[..col].graphemes(true).count()
}

fn offset_of_grapheme(line: &str, n: usize) -> usize {
    line.grapheme_indices(true)
        .nth(n)
        .map_or(line.len(), |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_moving_and_deleting() {
        let mut e = Editor::new();
        e.insert_str("Bonjour é👍🏽\nça va");
        assert_eq!(e.text(), "Bonjour é👍🏽\nça va");
        assert_eq!(e.cursor(), (1, "ça va".len()));
        e.up();
        assert_eq!(e.cursor(), (0, "Bonjo".len()));
        e.end();
        e.delete_back();
        assert_eq!(
            e.text(),
            "Bonjour é\nça va",
            "the emoji and its skin tone go together"
        );
        e.delete_word_back();
        assert_eq!(e.text(), "Bonjour \nça va");
        e.delete_forward();
        assert_eq!(e.text(), "Bonjour ça va", "joins lines");
        e.home();
        e.word_right();
        assert_eq!(e.cursor(), (0, "Bonjour".len()));
        e.delete_to_end();
        assert_eq!(e.text(), "Bonjour");
        e.word_left();
        assert_eq!(e.cursor(), (0, 0));
        e.left();
        assert_eq!(e.cursor(), (0, 0), "stays at the start");
        assert!(!e.is_blank());
        assert!(Editor::with_text(" \n ").is_blank());
    }

    #[test]
    fn paste_normalises_line_ends() {
        let e = Editor::with_text("a\r\nb\rc");
        assert_eq!(e.lines(), ["a", "b", "c"]);
    }
}
