//! Chat templates: turns a conversation into the prompt text a model was trained on.
//!
//! GGUF files carry the Hugging Face Jinja template in `tokenizer.chat_template`; it is rendered
//! with `minijinja` configured like `transformers` does (`trim_blocks`, `lstrip_blocks`, lenient
//! undefined values, `raise_exception`, `strftime_now`, Python string methods). Files without one
//! get a built-in template for their family, see [`Family`].
//!
//! The rendered text already holds the BOS token where the template puts it, so encode it without
//! adding special tokens again.

mod date;
mod family;

use std::fmt;
use std::ops::Range;

use minijinja::{Environment, ErrorKind, Value};

use crate::gguf;
use crate::tokenizer::Tokenizer;

pub use date::Date;
pub use family::Family;

const NAME: &str = "chat";

/// One turn of a conversation; `role` is `system`, `user` or `assistant`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub role: String,
    pub content: String,
}

impl Message {
    pub fn new(role: impl Into<String>, content: impl Into<String>) -> Message {
        Message { role: role.into(), content: content.into() }
    }

    pub fn system(content: impl Into<String>) -> Message {
        Message::new("system", content)
    }

    pub fn user(content: impl Into<String>) -> Message {
        Message::new("user", content)
    }

    pub fn assistant(content: impl Into<String>) -> Message {
        Message::new("assistant", content)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChatError {
    /// The template does not parse; `message` names the line.
    #[error("chat template syntax error: {message}")]
    Syntax { line: Option<usize>, message: String },
    /// The template parsed but failed while rendering (bad operation, unknown method, ...).
    #[error("chat template failed: {message}")]
    Render { line: Option<usize>, message: String },
    /// The template called `raise_exception(message)`, typically to reject a conversation shape.
    #[error("chat template rejected the conversation: {0}")]
    Raised(String),
    /// No `tokenizer.chat_template` and no built-in template for this model.
    #[error("no chat template in the file and none built in for architecture {0:?}")]
    UnknownFamily(String),
}

/// Carries the `raise_exception` message through minijinja so it comes back as [`ChatError::Raised`].
#[derive(Debug)]
struct Raised(String);

impl fmt::Display for Raised {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Raised {}

impl ChatError {
    fn syntax(err: minijinja::Error) -> ChatError {
        ChatError::Syntax { line: err.line(), message: err.to_string() }
    }

    fn render(err: minijinja::Error) -> ChatError {
        if let Some(raised) = std::error::Error::source(&err).and_then(|source| source.downcast_ref::<Raised>()) {
            return ChatError::Raised(raised.0.clone());
        }
        ChatError::Render { line: err.line(), message: err.to_string() }
    }
}

/// A compiled chat template with the special-token strings it refers to.
pub struct Template {
    env: Environment<'static>,
    bos_token: String,
    eos_token: String,
}

impl fmt::Debug for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Template").field("bos_token", &self.bos_token).field("eos_token", &self.eos_token).finish()
    }
}

impl Template {
    /// Compiles `source`; syntax errors are reported here rather than on the first render.
    pub fn new(source: &str, bos_token: &str, eos_token: &str) -> Result<Template, ChatError> {
        let mut env = Environment::new();
        // What `transformers` sets for chat templates; the templates' whitespace depends on it.
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .map_err(ChatError::syntax)?;
        env.set_syntax(syntax);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function("raise_exception", |message: String| -> Result<Value, minijinja::Error> {
            Err(minijinja::Error::new(ErrorKind::InvalidOperation, message.clone()).with_source(Raised(message)))
        });
        env.add_template_owned(NAME, source.to_owned()).map_err(ChatError::syntax)?;
        Ok(Template { env, bos_token: bos_token.to_owned(), eos_token: eos_token.to_owned() })
    }

    /// The file's `tokenizer.chat_template`, or the built-in template of its [`Family`].
    pub fn from_gguf(file: &gguf::File) -> Result<Template, ChatError> {
        let bos_token = special_token(file, "tokenizer.ggml.bos_token_id");
        let eos_token = special_token(file, "tokenizer.ggml.eos_token_id");
        let source = match file.get_str("tokenizer.chat_template") {
            Ok(source) => source,
            Err(_) => Family::detect(file)?.template(),
        };
        Template::new(source, bos_token, eos_token)
    }

    /// The file's own `tokenizer.chat_template`, if it declares one that compiles: instruct models do,
    /// base models do not (and then prompts go to them as raw text).
    pub fn declared_in(file: &gguf::File) -> Option<Template> {
        file.get("tokenizer.chat_template").and_then(|_| Template::from_gguf(file).ok())
    }

    /// Defines `strftime_now(format)` as this day. Without it the function is undefined, so Llama 3.x
    /// templates fall back to their own default date: wasm32 has no clock, and tests need a fixed day.
    pub fn with_today(mut self, today: Date) -> Template {
        self.env.add_function("strftime_now", move |format: String| {
            today.format(&format).map_err(|message| minijinja::Error::new(ErrorKind::InvalidOperation, message))
        });
        self
    }

    /// The token ids of `messages` rendered for the assistant's reply. The template's own special
    /// tokens are honoured; the messages' contents are data, so a control-token text inside them (a
    /// question containing `<|im_end|>`) stays plain text and cannot forge a turn. A BOS that the
    /// template writes itself is not doubled by the tokenizer's own.
    pub fn encode(&self, tokenizer: &Tokenizer, messages: &[Message]) -> Result<Vec<u32>, ChatError> {
        let text = self.render(messages, true)?;
        let untrusted = content_spans(&text, messages, tokenizer)?;
        let mut ids = tokenizer.encode_with_untrusted(&text, true, &untrusted);
        if let (Some(bos), [a, b, ..]) = (tokenizer.bos(), ids.as_slice())
            && *a == bos
            && *b == bos
        {
            ids.remove(0);
        }
        Ok(ids)
    }

    /// Renders `messages`; with `add_generation_prompt` the text ends where the assistant's reply begins.
    pub fn render(&self, messages: &[Message], add_generation_prompt: bool) -> Result<String, ChatError> {
        let messages: Vec<Value> = messages
            .iter()
            .map(|m| Value::from_pairs([("role", m.role.as_str()), ("content", m.content.as_str())]))
            .collect();
        let context = Value::from_pairs([
            ("messages", Value::from(messages)),
            ("add_generation_prompt", Value::from(add_generation_prompt)),
            ("bos_token", Value::from(self.bos_token.as_str())),
            ("eos_token", Value::from(self.eos_token.as_str())),
        ]);
        let template = self.env.get_template(NAME).map_err(ChatError::render)?;
        template.render(context).map_err(ChatError::render)
    }
}

/// Where the messages' contents landed in `rendered`, searched in order (templates may trim a
/// message, so its trimmed text is what is looked for). Only contents that spell a control token
/// matter; one of those that the template changed beyond recognition is refused rather than trusted.
fn content_spans(rendered: &str, messages: &[Message], tokenizer: &Tokenizer) -> Result<Vec<Range<usize>>, ChatError> {
    let mut spans = Vec::new();
    let mut from = 0;
    for message in messages {
        let content = message.content.trim();
        if content.is_empty() {
            continue;
        }
        match rendered[from..].find(content) {
            Some(at) => {
                spans.push(from + at..from + at + content.len());
                from += at + content.len();
            }
            None if tokenizer.mentions_control_tokens(content) => {
                return Err(ChatError::Render {
                    line: None,
                    message: format!(
                        "the {} message contains control-token text, and the template changed it so it could \
                         not be kept apart from the template's own tokens",
                        message.role
                    ),
                });
            }
            None => {}
        }
    }
    Ok(spans)
}

/// The text of the special token whose id is stored under `key`; empty when the file names none.
fn special_token<'a>(file: &'a gguf::File, key: &str) -> &'a str {
    let Ok(id) = file.get_u32(key) else { return "" };
    let Ok(tokens) = file.get_str_array("tokenizer.ggml.tokens") else { return "" };
    tokens.get(id as usize).map_or("", String::as_str)
}

#[cfg(test)]
mod tests;
