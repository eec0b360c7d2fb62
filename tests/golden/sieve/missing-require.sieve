# Each extension must be required first.
if envelope :is "from" "a@example.com" { discard; }
if body :contains "unsubscribe" { discard; }
if header :regex "subject" "^re:" { keep; }
if new { noack; }
queue "billing";
reject "go away";
