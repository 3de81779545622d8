import type { PlaybookInput } from './model.js'

/**
 * The playbooks that ship with Cordon, upserted at start (an unchanged one is left alone). The
 * vendor supply-chain playbook follows how providers and MSPs handled the 3CX DesktopApp
 * compromise of March 2023: a signed softphone build that carried a backdoor.
 */
export const bundledPlaybooks: readonly PlaybookInput[] = [
  {
    slug: 'vendor-supply-chain-compromise',
    name: 'Vendor supply-chain compromise',
    description: [
      'A vendor shipped a trojanized build of software your customers run (as 3CX did with its DesktopApp in March 2023: builds signed with the',
      "vendor's own certificate, so EDR alerts were first taken for false positives). Work out who runs an affected build, whether anyone",
      'contacted the attacker, contain without cutting people off, tell the affected customers and partners, and prove the clean-up with',
      'fresh inventory rather than a checkbox.',
    ].join(' '),
    tasks: [
      {
        title: 'Confirm the affected versions and who runs them',
        description: [
          "Check the vendor advisory's affected versions per platform (for 3CX: Windows 18.12.407 and 18.12.416; macOS 18.11.1213, 18.12.402,",
          '18.12.407 and 18.12.416) against the bundled or imported advisory, then list the customers and endpoints running them with',
          '`cordon exposure <advisory>` (for 3CX: `cordon exposure CVE-2023-29059`). Link the advisory and every affected customer to this',
          "incident. Where a customer's inventory is stale, ask for a fresh import before trusting a clean result.",
        ].join(' '),
        role: 'operations_lead',
        dueInMinutes: 30,
      },
      {
        title: 'Hunt the indicators in DNS and proxy logs',
        description: [
          "Run `cordon hunt logs <files> --customer <customer>` over each affected customer's DNS and proxy logs, as far back as they go and",
          'at least to the start of the campaign (the 3CX infrastructure was registered in February 2022; the earliest known sample is from',
          'November 2022). Link the sightings to this incident. No sighting does not mean clean: the 3CX backdoor waited about seven days',
          'before its first beacon, so hosts that installed or updated the app in the last week stay at risk.',
        ].join(' '),
        role: 'operations_lead',
        dueInMinutes: 120,
      },
      {
        title: 'Sweep the affected endpoints for known-bad files',
        description: [
          'Run `cordon hunt files <dirs> --customer <customer> --endpoint <endpoint>` on the affected machines (for 3CX:',
          '%LOCALAPPDATA%\\Programs\\3CXDesktopApp\\ on Windows and ~/Library/Application Support/3CX Desktop App/ on macOS). It matches the',
          'known-bad hashes (ffmpeg.dll, d3dcompiler_47.dll, libffmpeg.dylib) and flags PE files whose signature was tampered with, such as',
          'a payload appended after a valid Microsoft signature.',
        ].join(' '),
        role: 'operations_lead',
        dueInMinutes: 240,
      },
      {
        title: 'Lock down, and isolate where it is safe',
        description: [
          'Block the attacker domains at DNS and proxy, stop the affected versions from being installed or updated (an application-control',
          'deny rule; the PBX serves the desktop installers, so update or purge it or it reinstalls them), and isolate hosts with sightings.',
          "Isolating a softphone's host cuts that person's phone service, and blocking the app everywhere can stop a call centre: plan the",
          'alternative first (for 3CX, the web client, which does almost everything the desktop app does, or desk phones), tell the customer',
          'before you isolate, and do not isolate call-handling hosts automatically.',
        ].join(' '),
        role: 'operations_lead',
        dueInMinutes: 120,
      },
      {
        title: 'Notify the affected customers and partners',
        description: [
          'Tell each affected customer, and the partner that resells to it, which of their endpoints run an affected build, what the hunts',
          'found, what you are doing, and what they must do now (stop using the desktop app; use the web client). Send updates as the',
          'incident changes, and track who has acknowledged.',
        ].join(' '),
        role: 'communications_lead',
        dueInMinutes: 60,
      },
      {
        title: 'Advise AV scans and removal of the app',
        description: [
          'Advise (or run through the RMM) a full AV or EDR scan of every affected endpoint and removal of the affected app, including its',
          'leftover folders, and keep users on the web client until a fixed build is confirmed (for 3CX on Windows: 18.12.425 or later).',
          'Where the second stage ran, reset the credentials it could have taken (the 3CX stealer read browser data).',
        ].join(' '),
        role: 'communications_lead',
        dueInMinutes: 240,
      },
      {
        title: 'Verify remediation by fresh inventory',
        description: [
          'Import a fresh inventory for every affected customer (`cordon import inventory <files>`) and check that `cordon exposure',
          "<advisory>` shows no affected build left. A customer's word or a ticked box is not evidence; a new inventory snapshot is.",
        ].join(' '),
        role: 'operations_lead',
        dueInMinutes: 1440,
      },
      {
        title: 'Declare the all-clear',
        description: [
          'When fresh inventory shows no affected build and new hunts show no sightings, tell the affected customers and partners that the',
          'incident is over, what was found and what was done, and set this incident to resolved.',
        ].join(' '),
        role: 'commander',
        dueInMinutes: 2880,
      },
      {
        title: 'Hold the post-incident review',
        description: [
          'Within a week: export the record with `cordon incident report <incident>`, go through the timeline and the times to acknowledge,',
          'contain and resolve, and agree what changes. Ask in particular where signed software was trusted too readily, how early vendor or',
          'EDR signals were seen and dismissed, and which customers were hard to reach.',
        ].join(' '),
        role: 'commander',
        dueInMinutes: 10080,
      },
    ],
  },
]
