require "vnd.postdesk";
if header :contain "subject" "x" { queue "billing"; }
priority "asap";
