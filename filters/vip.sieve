# vip.sieve: customers with a support contract come first.
#
# Mail from these domains gets high priority and the tag "vip" (agents
# can list them with "postdesk ticket list").  Edit the list; address
# :domain compares the part after the "@" of the From address,
# ignoring case.
require ["vnd.postdesk"];

if address :domain :is "from" ["bigcustomer.example",
                               "partner.example"] {
	priority "high";
	addtag "vip";
}
