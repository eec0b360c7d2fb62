# Syntax errors: each is reported, and parsing goes on after it.
if header :is "subject" "x" { keep }
if header :is "subject" ["a", "b" { keep; }
if anyof (true false) { keep; }
discard
}
"loose string";
if true { keep; }
if true {
