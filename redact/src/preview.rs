//! Lock-screen notification previews that never contain message content.
//!
//! NHS guidance asks that message content stays off the lock screen. A
//! [`LockScreenPreview`] is built only from who sent a message and, by
//! policy, the group it was sent to: no constructor takes a message body, so
//! no app can pass one by mistake. The body line is always the fixed text
//! [`LockScreenPreview::BODY`].
//!
//! Group names are chosen by people and sometimes name a patient ("Bed 4 –
//! Mrs Thornton"), so the group name is scanned with the built-in rules and
//! any finding is masked before it reaches the preview. Sender display names
//! are taken as given: they are the clinicians' own names.

use super::{Action, Scanner};

/// What a lock-screen notification may show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PreviewPolicy {
    /// Only that a message arrived.
    Nothing,
    /// Who sent it.
    SenderOnly,
    /// Who sent it and in which group.
    SenderAndGroup,
}

/// The text of a lock-screen notification: a title and a fixed body.
#[derive(Clone, PartialEq, Eq)]
pub struct LockScreenPreview {
    title: String,
}

impl core::fmt::Debug for LockScreenPreview {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("LockScreenPreview")
            .field("title", &self.title)
            .finish()
    }
}

impl LockScreenPreview {
    /// The body line of every preview.
    pub const BODY: &'static str = "New message";

    /// The title when the policy shows nothing.
    pub const ANONYMOUS_TITLE: &'static str = "bleep";

    /// A preview that says only that a message arrived.
    pub fn nothing() -> Self {
        LockScreenPreview {
            title: Self::ANONYMOUS_TITLE.to_string(),
        }
    }

    /// A preview naming the sender.
    ///
    /// ```
    /// use bleep_redact::LockScreenPreview;
    /// let p = LockScreenPreview::for_sender("Dr A. Okafor");
    /// assert_eq!(p.title(), "Dr A. Okafor");
    /// assert_eq!(p.body(), "New message");
    /// ```
    pub fn for_sender(sender_display_name: &str) -> Self {
        LockScreenPreview {
            title: one_line(sender_display_name),
        }
    }

    /// A preview naming the sender and the group; identifiers in the group
    /// name are masked.
    ///
    /// ```
    /// use bleep_redact::LockScreenPreview;
    /// let p = LockScreenPreview::for_sender_in_group("Sister Lee", "Bed 4 Mrs Thornton");
    /// assert_eq!(p.title(), "Sister Lee in Bed 4 Mrs [name]");
    /// ```
    pub fn for_sender_in_group(sender_display_name: &str, group_name: &str) -> Self {
        // Mask the whole name, then shorten it: shortening first could cut an
        // identifier to a fragment no detector recognises (`… pt 943 476`),
        // which would then be shown.
        let group = Scanner::new().redact(&flatten(group_name), &Action::Mask);
        let group = one_line(group.expose());
        LockScreenPreview {
            title: format!("{} in {}", one_line(sender_display_name), group),
        }
    }

    /// The preview a policy allows. `group_name` is ignored unless the policy
    /// is [`PreviewPolicy::SenderAndGroup`] (and a 1:1 chat passes `None`).
    pub fn from_policy(
        policy: PreviewPolicy,
        sender_display_name: &str,
        group_name: Option<&str>,
    ) -> Self {
        match (policy, group_name) {
            (PreviewPolicy::Nothing, _) => Self::nothing(),
            (PreviewPolicy::SenderOnly, _) | (PreviewPolicy::SenderAndGroup, None) => {
                Self::for_sender(sender_display_name)
            }
            (PreviewPolicy::SenderAndGroup, Some(g)) => {
                Self::for_sender_in_group(sender_display_name, g)
            }
        }
    }

    /// The notification title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The notification body: always [`Self::BODY`].
    pub fn body(&self) -> &str {
        Self::BODY
    }
}

/// The longest part of a preview title, in chars.
const MAX_TITLE_PART_CHARS: usize = 64;

/// Control characters become spaces, so a preview is one line.
fn flatten(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Keep previews to one short line: control characters become spaces and
/// the text is cut at [`MAX_TITLE_PART_CHARS`] chars.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_TITLE_PART_CHARS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies() {
        assert_eq!(
            LockScreenPreview::from_policy(PreviewPolicy::Nothing, "Dr X", Some("G")).title(),
            "bleep"
        );
        assert_eq!(
            LockScreenPreview::from_policy(PreviewPolicy::SenderOnly, "Dr X", Some("G")).title(),
            "Dr X"
        );
        assert_eq!(
            LockScreenPreview::from_policy(
                PreviewPolicy::SenderAndGroup,
                "Dr X",
                Some("Ward 7 handover")
            )
            .title(),
            "Dr X in Ward 7 handover"
        );
        assert_eq!(
            LockScreenPreview::from_policy(PreviewPolicy::SenderAndGroup, "Dr X", None).title(),
            "Dr X"
        );
    }

    #[test]
    fn group_identifiers_are_masked_and_lines_flattened() {
        let p = LockScreenPreview::for_sender_in_group("Dr X\nY", "943 476 5919 escalation");
        assert_eq!(p.title(), "Dr X Y in [NHS number] escalation");
        assert_eq!(p.body(), "New message");
    }
}
