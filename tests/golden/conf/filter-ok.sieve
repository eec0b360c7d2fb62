require "vnd.postdesk";
if header :contains "subject" "urgent" { priority "high"; queue "support"; }
