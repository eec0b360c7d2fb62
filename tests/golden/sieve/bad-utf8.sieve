keep;
if header :is "subject" "ÿ" { keep; }
