# Lexical errors.
if size :over 10MB { discard; }
if header :is "subject" "x" @ { keep; }
if header :is : "x" { keep; }
if size :over 99999999999999999999 { discard; }
if header :is "subject" text: junk
.
keep;
/* an unterminated comment
