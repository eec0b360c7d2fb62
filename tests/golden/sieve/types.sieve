require "vnd.postdesk";
# Arguments of the wrong type or number.
if size :over "100K" { discard; }
if size 100K { discard; }
if header "subject" { keep; }
if header :is "subject" 42 { keep; }
if exists { keep; }
if true "x" { keep; }
queue ["billing", "sales"];
priority;
noack "please";
keep "now";
if allof true { keep; }
if not (true, false) { keep; }
if :is "x" { keep; }
