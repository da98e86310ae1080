/** One DNS label as rundock uses them (service, host and domain names): a-z, 0-9 and inner hyphens, 1-63 long. */
export const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** The label's pattern without anchors, to build longer names from (a hostname of several labels). */
export const DNS_LABEL_SOURCE = DNS_LABEL.source.slice(1, -1);
