require ["vnd.postdesk", "regex"];
# Values the actions and tests do not take.
priority "very high";
status "done";
notify "not an address";
queue "billing dept";
reply "../etc/passwd";
addtag "";
if header :regex "subject" "([a-z" { keep; }
if header :matches "sub ject" "x" { keep; }
if address :is "subject" "x" { keep; }
if header :is :contains "subject" "x" { keep; }
if address :all :domain "from" "x" { keep; }
