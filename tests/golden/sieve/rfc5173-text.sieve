# RFC 5173 section 5, the :text example, adapted: "fileinto" became
# "addtag" (require "vnd.postdesk").  The body is matched decoded: the
# message is quoted-printable.
require ["body", "vnd.postdesk"];

# Save messages mentioning the project schedule in the
# project/schedule folder.
if body :text :contains "project schedule" {
        addtag "project/schedule";
}
