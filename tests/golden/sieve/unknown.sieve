# Unknown commands, tests, tagged arguments, comparators, extensions.
require ["vnd.postdesk", "vacation", "relational"];
vacation "I am away";
if spamtest :value "ge" "5" { discard; }
if header :value "ge" "x-priority" "3" { priority "high"; }
if header :comparator "i;unicode-casemap" "subject" "x" { keep; }
if address :user :is "from" "bob" { keep; }
if envelope :is "from" "a@b" { keep; }
if envelope :is "auth" "a@b" { keep; }
