// The software pool of the benchmark estate: about 3,000 products per platform (Windows programs,
// macOS apps, Debian packages), each with several versions, built deterministically from a seed.
// The estate generator installs from it and the advisory generator aims at it, so both agree on
// what exists. A hand-written head of real, popular software carries the install shares; a
// synthetic long tail (real vendor names with product words) fills the rest.

/** A seeded PRNG (mulberry32): [0, 1). The same seed gives the same sequence on every machine. */
export type Random = () => number

export function createRandom(seed: number): Random {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A 32-bit mix of two integers (murmur3's finaliser), for choices that must agree without shared state. */
export function mix(a: number, b: number): number {
  let h = (a ^ Math.imul(b, 0x9e3779b1)) >>> 0
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

export function randomInt(random: Random, below: number): number {
  return Math.floor(random() * below)
}

export function pick<T>(random: Random, list: readonly T[]): T {
  const item = list[Math.floor(random() * list.length)]
  if (item === undefined) throw new Error('pick from an empty list')
  return item
}

/** A pick from [weight, value] pairs whose weights sum to 1. */
export function pickWeighted<T>(random: Random, choices: ReadonlyArray<readonly [number, T]>): T {
  let roll = random()
  for (const [weight, value] of choices) if ((roll -= weight) < 0) return value
  return choices[choices.length - 1]![1]
}

export function randomHex(random: Random, length: number): string {
  let text = ''
  for (let i = 0; i < length; i++) text += '0123456789abcdef'[Math.floor(random() * 16)]
  return text
}

export function randomUuid(random: Random): string {
  const hex = randomHex(random, 32)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${'89ab'[Math.floor(random() * 4)]}${hex.slice(17, 20)}-${hex.slice(20)}`
}

export type EstatePlatform = 'windows' | 'macos' | 'linux'

/** One installable thing: a (vendor, product, version, platform) the estate can report. */
export interface CatalogEntry {
  /** Index in `Catalog.entries`. */
  id: number
  platform: EstatePlatform
  /** Index of its product in the platform's pool. */
  product: number
  /** Windows program name, macOS app name without ".app", or Debian binary package name. Some Windows names embed the version. */
  name: string
  version: string
  /** Windows: MSI product code ('' for EXE installers). */
  identifyingNumber: string
  /** macOS: CFBundleVersion. */
  bundleVersion: string
  /** Debian: installed size in KiB. */
  size: number
}

export interface CatalogProduct {
  platform: EstatePlatform
  /** Index in the platform's pool. */
  index: number
  /** Publisher (Windows), vendor (macOS; osquery reports none, the CSV export does), maintainer (Debian). */
  vendor: string
  /** The product's name without a version: what an advisory would name. */
  name: string
  /** Debian source package (advisories name sources); '' elsewhere. */
  source: string
  /** Products sharing a series pick the same version on a host (binaries of one Debian source). */
  series: number
  /** Share of the platform's hosts that carry it (head products); 0 for the long tail, drawn by rank. */
  share: number
  /** Popularity rank within the platform, 0 first. */
  rank: number
  /** Entries in ascending version order. */
  entries: CatalogEntry[]
  /** Cumulative install weights of `entries` (last is 1): newer versions are more common. */
  versionWeights: number[]
  /** Excluded from random installation (3CX, installed by its own rule). */
  special: boolean
  windows?: { installLocation: string; msi: boolean; language: string; datedInstall: boolean }
  macos?: { bundleIdentifier: string; executable: string; category: string; minimumSystemVersion: string; copyright: string; displayName: boolean; appleScript: boolean }
  linux?: { section: string; priority: string; arch: string }
}

export interface Catalog {
  entries: CatalogEntry[]
  windows: CatalogProduct[]
  macos: CatalogProduct[]
  linux: CatalogProduct[]
  /** Debian source names not installed anywhere in the estate (for advisories that match nothing). */
  absentDebianSources: string[]
  /** Every product and source name in the estate, lower-cased (so invented npm/PyPI names can avoid them). */
  knownNames: ReadonlySet<string>
  threeCx: { windows: CatalogProduct; macos: CatalogProduct }
}

/** The 3CX supply-chain compromise of March 2023: the builds the estate plants and their status. */
export const threeCx = {
  name: '3CX Desktop App',
  publisher: '3CX Ltd',
  windows: { affected: ['18.12.407', '18.12.416'], clean: ['18.11.1213', '18.12.425'] },
  macos: { affected: ['18.11.1213', '18.12.402', '18.12.407', '18.12.416'], clean: ['18.12.425'] },
} as const

export const catalogSeed = 0x5eed

// ---------------------------------------------------------------------------------------------
// Hand-written head: [name, vendor, versions, share]. `versions` is the oldest of a generated
// series or an explicit ascending list; "{v}" in a name is the version, "{v2}"/"{v3}" its first
// two/three components (Windows lists them as separate programs, as Windows does).

type HeadProduct = [name: string, vendor: string, versions: string | string[], share: number]

const windowsHead: HeadProduct[] = [
  ['Microsoft Edge', 'Microsoft Corporation', '122.0.2365.80', 0.99],
  ['Microsoft Edge WebView2 Runtime', 'Microsoft Corporation', '122.0.2365.80', 0.97],
  ['Microsoft Edge Update', 'Microsoft Corporation', '1.3.183.29', 0.9],
  ['Google Chrome', 'Google LLC', '122.0.6261.112', 0.9],
  ['Google Update Helper', 'Google LLC', '1.3.36.352', 0.4],
  ['Microsoft Visual C++ 2015-2022 Redistributable (x64) - {v}', 'Microsoft Corporation', ['14.32.31332', '14.34.31938', '14.36.32532', '14.38.33130', '14.38.33135'], 0.92],
  ['Microsoft Visual C++ 2015-2022 Redistributable (x86) - {v}', 'Microsoft Corporation', ['14.32.31332', '14.36.32532', '14.38.33130', '14.38.33135'], 0.85],
  ['Microsoft Visual C++ 2013 Redistributable (x64) - {v}', 'Microsoft Corporation', ['12.0.30501', '12.0.40649', '12.0.40660', '12.0.40664'], 0.4],
  ['Microsoft Visual C++ 2012 Redistributable (x86) - {v}', 'Microsoft Corporation', ['11.0.61030'], 0.3],
  ['Microsoft Visual C++ 2010  x64 Redistributable - {v}', 'Microsoft Corporation', ['10.0.40219'], 0.25],
  ['Windows Agent', 'N-able Technologies', '2023.9.1.26', 0.95],
  ['Patch Management Service Controller', 'N-able Technologies', '2.4.0.88', 0.9],
  ['Take Control Agent', 'N-able', '7.0.41.1142', 0.7],
  ['Request Handler Agent', 'N-able Technologies', '1.8.0.114', 0.6],
  ['File Cache Service Agent', 'N-able Technologies', '6.1.0.83', 0.6],
  ['Microsoft 365 Apps for business - en-us', 'Microsoft Corporation', '16.0.17126.20132', 0.55],
  ['Microsoft 365 Apps for enterprise - en-us', 'Microsoft Corporation', '16.0.16731.20550', 0.2],
  ['Microsoft OneDrive', 'Microsoft Corporation', ['23.226.1031.0004', '24.010.0114.0003', '24.020.0128.0003', '24.040.0225.0002'], 0.85],
  ['Microsoft Teams classic', 'Microsoft Corporation', ['1.6.00.33567', '1.7.00.156', '1.7.00.6058'], 0.25],
  ['Teams Machine-Wide Installer', 'Microsoft Corporation', '1.6.0.11166', 0.3],
  ['Microsoft Teams Meeting Add-in for Microsoft Office', 'Microsoft Corporation', '1.23.33413', 0.5],
  ['Microsoft Update Health Tools', 'Microsoft Corporation', ['3.74.0.0', '5.71.0.0', '5.72.0.0'], 0.75],
  ['Office 16 Click-to-Run Extensibility Component', 'Microsoft Corporation', '16.0.17126.20132', 0.5],
  ['Office 16 Click-to-Run Licensing Component', 'Microsoft Corporation', '16.0.17126.20132', 0.5],
  ['Microsoft Policy Platform', 'Microsoft Corporation', '68.1.1010.0', 0.4],
  ['Windows PC Health Check', 'Microsoft Corporation', '3.6.2204.08001', 0.35],
  ['Microsoft .NET Runtime - {v} (x64)', 'Microsoft Corporation', ['6.0.25', '6.0.27', '6.0.28', '7.0.14', '8.0.1', '8.0.2', '8.0.3'], 0.5],
  ['Microsoft Windows Desktop Runtime - {v} (x64)', 'Microsoft Corporation', ['6.0.25', '6.0.26', '6.0.28', '8.0.2', '8.0.3'], 0.45],
  ['Microsoft ASP.NET Core {v} - Shared Framework (x64)', 'Microsoft Corporation', ['6.0.25', '6.0.28', '8.0.3'], 0.15],
  ['Microsoft GameInput', 'Microsoft Corporation', '10.1.22621.3036', 0.4],
  ['Microsoft Intune Management Extension', 'Microsoft Corporation', '1.74.104.0', 0.3],
  ['Adobe Acrobat (64-bit)', 'Adobe', ['23.008.20470', '23.008.20533', '24.001.20604', '24.001.20629'], 0.45],
  ['Adobe Acrobat Reader DC', 'Adobe Systems Incorporated', ['21.011.20039', '22.003.20322', '23.006.20360', '23.008.20470'], 0.2],
  ['Adobe Refresh Manager', 'Adobe Systems Incorporated', '1.8.0', 0.3],
  ['Mozilla Firefox (x64 en-US)', 'Mozilla', ['115.9.1', '122.0.1', '123.0', '123.0.1', '124.0.1', '124.0.2'], 0.35],
  ['Mozilla Maintenance Service', 'Mozilla', ['115.9.1', '123.0.1', '124.0.1'], 0.33],
  ['Zoom Workplace (64-bit)', 'Zoom Video Communications, Inc.', '6.0.2.33403', 0.3],
  ['Zoom(64bit)', 'Zoom Video Communications, Inc.', '5.16.10.26186', 0.12],
  ['7-Zip {v} (x64)', 'Igor Pavlov', ['19.00', '22.01', '23.01'], 0.45],
  ['Notepad++ (64-bit x64)', 'Notepad++ Team', '8.5.8', 0.25],
  ['VLC media player', 'VideoLAN', ['3.0.16', '3.0.18', '3.0.20'], 0.2],
  ['Java(TM) SE Development Kit {v3} (64-bit)', 'Oracle Corporation', ['17.0.8.0', '17.0.10.0', '21.0.2.0'], 0.04],
  ['Cisco Secure Client - AnyConnect VPN', 'Cisco Systems, Inc.', '5.0.05040', 0.12],
  ['Cisco Webex Meetings', 'Cisco Webex LLC', '43.10.0.7', 0.08],
  ['Webex', 'Cisco Systems, Inc', '44.2.0.28744', 0.08],
  ['Dell SupportAssist', 'Dell Inc.', '3.14.2.45', 0.2],
  ['Dell Command | Update for Windows Universal', 'Dell Inc.', '5.1.0', 0.2],
  ['Dell SupportAssist OS Recovery Plugin for Dell Update', 'Dell Inc.', '5.5.9.20218', 0.15],
  ['HP Support Assistant', 'HP Inc.', '9.25.35.0', 0.15],
  ['HP Wolf Security', 'HP Inc.', '4.25.3.1155', 0.12],
  ['Intel(R) Management Engine Components', 'Intel Corporation', '2245.4.43.0', 0.3],
  ['Intel(R) Chipset Device Software', 'Intel Corporation', '10.1.19222.8341', 0.3],
  ['NVIDIA Graphics Driver {v}', 'NVIDIA Corporation', ['537.13', '546.33', '551.23', '551.86'], 0.1],
  ['Realtek High Definition Audio Driver', 'Realtek Semiconductor Corp.', '6.0.9088.1', 0.3],
  ['TeamViewer', 'TeamViewer', '15.48.4', 0.15],
  ['AnyDesk', 'AnyDesk Software GmbH', ['ad 7.1.13', 'ad 8.0.5', 'ad 8.0.8'], 0.05],
  ['ScreenConnect Client (7b3a1c5e9f0d2b48)', 'ScreenConnect Software', '23.9.8.8811', 0.15],
  ['Sophos Endpoint Agent', 'Sophos Limited', '2023.2.1.9', 0.45],
  ['Huntress Agent', 'Huntress Labs, Inc.', '0.13.180', 0.55],
  ['Sentinel Agent', 'SentinelOne', '23.3.2.306', 0.25],
  ['CrowdStrike Windows Sensor', 'CrowdStrike, Inc.', '7.10.17706.0', 0.12],
  ['Bitdefender Endpoint Security Tools', 'Bitdefender', '7.9.10.351', 0.08],
  ['Malwarebytes version {v}', 'Malwarebytes', ['4.6.7.293', '4.6.8.311', '4.6.9.320'], 0.05],
  ['Veeam Agent for Microsoft Windows', 'Veeam Software Group GmbH', '6.0.2.1090', 0.1],
  ['Slack (Machine - MSI)', 'Slack Technologies Inc.', '4.36.134', 0.1],
  ['Dropbox', 'Dropbox, Inc.', '193.4.5594', 0.1],
  ['Google Drive', 'Google LLC', '88.0.0.0', 0.15],
  ['Foxit PDF Reader', 'Foxit Software Inc.', '2023.3.0.23028', 0.12],
  ['PDF24 Creator', 'PDF24.org', '11.15.2', 0.08],
  ['Greenshot {v}', 'Greenshot', ['1.2.10.6'], 0.05],
  ['paint.net', 'dotPDN LLC', '5.0.11', 0.06],
  ['PuTTY release {v2} (64-bit)', 'Simon Tatham', ['0.78.0.0', '0.79.0.0', '0.80.0.0', '0.81.0.0'], 0.06],
  ['WinSCP {v}', 'Martin Prikryl', ['6.1.2', '6.3.1', '6.3.2'], 0.05],
  ['WinRAR {v2} (64-bit)', 'win.rar GmbH', ['6.11.0', '6.23.0', '6.24.0', '7.0.0'], 0.06],
  ['FileZilla {v}', 'Tim Kosse', ['3.65.0', '3.66.4', '3.66.5'], 0.04],
  ['Git', 'The Git Development Community', '2.42.0', 0.05],
  ['Python {v} (64-bit)', 'Python Software Foundation', ['3.10.11', '3.11.7', '3.11.8', '3.12.2'], 0.05],
  ['Node.js', 'Node.js Foundation', ['18.19.1', '20.11.0', '20.11.1'], 0.03],
  ['Microsoft Visual Studio Code (User)', 'Microsoft Corporation', '1.86.2', 0.12],
  ['Docker Desktop', 'Docker Inc.', '4.27.2', 0.02],
  ['Bitwarden', 'Bitwarden Inc.', '2024.2.1', 0.04],
  ['KeePass Password Safe {v}', 'Dominik Reichl', ['2.54', '2.55', '2.56'], 0.05],
  ['1Password', 'AgileBits Inc.', '8.10.26', 0.05],
  ['Spotify', 'Spotify AB', ['1.2.31.1205.g4d59ad7c', '1.2.32.997.g07bd7f5f', '1.2.33.1039.g8ec2e1e1'], 0.05],
  ['Logi Options+', 'Logitech', '1.64.493219', 0.1],
  ['Jabra Direct', 'GN Audio A/S', '6.12.18501', 0.05],
  ['Yealink USB Connect', 'Yealink Network Technology Co., Ltd.', '4.38.15.0', 0.03],
  ['Remote Desktop', 'Microsoft Corporation', '1.2.5105.0', 0.05],
  ['RingCentral', 'RingCentral', '23.4.23', 0.03],
  ['8x8 Work', '8x8 Inc', '8.11.3.2', 0.02],
  ['Sage 50 Accounts v{v1}', 'Sage (UK) Limited', ['29.1.215.0', '30.0.104.0', '30.1.123.0'], 0.02],
  ['QuickBooks', 'Intuit Inc.', '33.0.4003.3306', 0.03],
  ['Microsoft SQL Server 2019 LocalDB ', 'Microsoft Corporation', '15.0.4153.1', 0.03],
  ['FortiClient VPN', 'Fortinet Technologies Inc', '7.2.2.0864', 0.08],
  ['GlobalProtect', 'Palo Alto Networks', '6.1.3', 0.04],
  ['Microsoft Office Professional Plus 2016', 'Microsoft Corporation', '16.0.4266.1001', 0.05],
  ['Citrix Workspace {v}', 'Citrix Systems, Inc.', ['2309', '2311', '2402'], 0.05],
  ['Microsoft Silverlight', 'Microsoft Corporation', '5.1.50918.0', 0.02],
  ['Audacity {v}', 'Audacity Team', ['3.4.2', '3.5.1'], 0.02],
  ['GIMP {v}', 'The GIMP Team', ['2.10.34', '2.10.36'], 0.02],
  ['Wireshark {v} x64', 'The Wireshark developer community, https://www.wireshark.org', ['4.0.12', '4.2.3'], 0.01],
  ['3CX Phone for Windows', '3CX Ltd', '16.3.0.254', 0.002],
]

/** [app name, vendor, bundle identifier, versions, share] */
type MacHeadProduct = [name: string, vendor: string, bundleIdentifier: string, versions: string | string[], share: number]

const macosHead: MacHeadProduct[] = [
  ['Safari', 'Apple Inc.', 'com.apple.Safari', ['17.2.1', '17.3', '17.3.1', '17.4', '17.4.1'], 1],
  ['Numbers', 'Apple Inc.', 'com.apple.iWork.Numbers', ['13.1', '13.2', '14.0'], 0.5],
  ['Pages', 'Apple Inc.', 'com.apple.iWork.Pages', ['13.1', '13.2', '14.0'], 0.5],
  ['Keynote', 'Apple Inc.', 'com.apple.iWork.Keynote', ['13.1', '13.2', '14.0'], 0.5],
  ['GarageBand', 'Apple Inc.', 'com.apple.garageband10', '10.4.8', 0.3],
  ['iMovie', 'Apple Inc.', 'com.apple.iMovieApp', '10.3.8', 0.3],
  ['Google Chrome', 'Google LLC', 'com.google.Chrome', '122.0.6261.112', 0.8],
  ['Firefox', 'Mozilla', 'org.mozilla.firefox', ['115.9.1', '123.0.1', '124.0.1', '124.0.2'], 0.25],
  ['Microsoft Edge', 'Microsoft Corporation', 'com.microsoft.edgemac', '122.0.2365.80', 0.35],
  ['Microsoft Word', 'Microsoft Corporation', 'com.microsoft.Word', ['16.80', '16.81', '16.82', '16.83'], 0.6],
  ['Microsoft Excel', 'Microsoft Corporation', 'com.microsoft.Excel', ['16.80', '16.81', '16.82', '16.83'], 0.6],
  ['Microsoft PowerPoint', 'Microsoft Corporation', 'com.microsoft.Powerpoint', ['16.80', '16.81', '16.82', '16.83'], 0.55],
  ['Microsoft Outlook', 'Microsoft Corporation', 'com.microsoft.Outlook', ['16.80', '16.81', '16.82', '16.83'], 0.55],
  ['Microsoft OneNote', 'Microsoft Corporation', 'com.microsoft.onenote.mac', ['16.81', '16.83'], 0.4],
  ['Microsoft Teams (work or school)', 'Microsoft Corporation', 'com.microsoft.teams2', ['23335.232.2637.4844', '24033.811.2738.2546', '24046.2813.2770.1094'], 0.45],
  ['Microsoft Teams classic', 'Microsoft Corporation', 'com.microsoft.teams', '1.00.627656', 0.15],
  ['OneDrive', 'Microsoft Corporation', 'com.microsoft.OneDrive', ['23.226.1031', '24.020.0128', '24.040.0225'], 0.55],
  ['Microsoft Remote Desktop', 'Microsoft Corporation', 'com.microsoft.rdc.macos', '10.9.5', 0.1],
  ['Company Portal', 'Microsoft Corporation', 'com.microsoft.CompanyPortalMac', '5.2401.0', 0.2],
  ['zoom.us', 'Zoom Video Communications, Inc.', 'us.zoom.xos', '5.17.5', 0.45],
  ['Slack', 'Slack Technologies, Inc.', 'com.tinyspeck.slackmacgap', '4.36.134', 0.3],
  ['Adobe Acrobat Reader', 'Adobe Inc.', 'com.adobe.Reader', ['23.008.20470', '24.001.20604'], 0.3],
  ['Adobe Photoshop 2024', 'Adobe Inc.', 'com.adobe.Photoshop', '25.4.0', 0.05],
  ['1Password 7', 'AgileBits Inc.', 'com.agilebits.onepassword7', '7.9.11', 0.04],
  ['1Password', 'AgileBits Inc.', 'com.1password.1password', '8.10.26', 0.08],
  ['Dropbox', 'Dropbox, Inc.', 'com.getdropbox.dropbox', '193.4.5594', 0.1],
  ['Google Drive', 'Google LLC', 'com.google.drivefs', '88.0', 0.15],
  ['Spotify', 'Spotify AB', 'com.spotify.client', ['1.2.31.1205', '1.2.32.997', '1.2.33.1039'], 0.15],
  ['Visual Studio Code', 'Microsoft Corporation', 'com.microsoft.VSCode', '1.86.2', 0.12],
  ['Docker', 'Docker Inc.', 'com.docker.docker', '4.27.2', 0.05],
  ['iTerm', 'George Nachman', 'com.googlecode.iterm2', '3.4.22', 0.06],
  ['VLC', 'VideoLAN', 'org.videolan.vlc', ['3.0.18', '3.0.20'], 0.12],
  ['The Unarchiver', 'MacPaw Inc.', 'com.macpaw.site.theunarchiver', '4.3.6', 0.15],
  ['Rectangle', 'Ryan Hanson', 'com.knollsoft.Rectangle', ['0.73', '0.76', '0.77'], 0.06],
  ['Webex', 'Cisco Systems, Inc.', 'Cisco-Systems.Spark', '44.2.0.28744', 0.08],
  ['Cisco Secure Client', 'Cisco Systems, Inc.', 'com.cisco.secureclient.gui', '5.0.05040', 0.06],
  ['Citrix Workspace', 'Citrix Systems, Inc.', 'com.citrix.receiver.nomas', '23.11.0.31', 0.05],
  ['TeamViewer', 'TeamViewer', 'com.teamviewer.TeamViewer', '15.48.4', 0.15],
  ['AnyDesk', 'AnyDesk Software GmbH', 'com.philandro.anydesk', '8.0.5', 0.05],
  ['Logi Options+', 'Logitech', 'com.logi.optionsplus', '1.64.493219', 0.1],
  ['Self Service', 'Jamf', 'com.jamfsoftware.selfservice.mac', '10.51.1', 0.1],
  ['Sophos Endpoint', 'Sophos Limited', 'com.sophos.endpoint.uiserver', '1.4.0', 0.3],
  ['Falcon', 'CrowdStrike, Inc.', 'com.crowdstrike.falcon.App', '7.10.17706', 0.1],
  ['SentinelOne Extensions', 'SentinelOne', 'com.sentinelone.extensions-wrapper', '23.4.2.12', 0.08],
  ['Huntress', 'Huntress Labs, Inc.', 'com.huntress.app', '0.13.180', 0.4],
  ['Malwarebytes', 'Malwarebytes', 'com.malwarebytes.antimalware', '4.21.9', 0.05],
  ['Grammarly Desktop', 'Grammarly, Inc.', 'com.grammarly.ProjectLlama', '1.71.0.0', 0.08],
  ['Notion', 'Notion Labs, Inc.', 'notion.id', '3.2.1', 0.06],
  ['Figma', 'Figma, Inc.', 'com.figma.Desktop', '124.0.2', 0.05],
  ['Discord', 'Discord Inc.', 'com.hnc.Discord', '0.0.295', 0.04],
  ['WhatsApp', 'WhatsApp Inc.', 'net.whatsapp.WhatsApp', '24.4.79', 0.08],
  ['Signal', 'Signal Messenger, LLC', 'org.whispersystems.signal-desktop', '7.0.0', 0.04],
  ['Telegram', 'Telegram FZ-LLC', 'ru.keepcoder.Telegram', '10.7.1', 0.03],
  ['Bitwarden', 'Bitwarden Inc.', 'com.bitwarden.desktop', '2024.2.1', 0.04],
  ['Postman', 'Postman, Inc.', 'com.postmanlabs.mac', '10.23.5', 0.03],
  ['Sublime Text', 'Sublime HQ Pty Ltd', 'com.sublimetext.4', ['Build 4152', 'Build 4169'], 0.03],
  ['BBEdit', 'Bare Bones Software, Inc.', 'com.barebones.bbedit', '15.0.3', 0.03],
  ['Parallels Desktop', 'Parallels International GmbH', 'com.parallels.desktop.console', '19.2.1', 0.03],
  ['VMware Fusion', 'VMware, Inc.', 'com.vmware.fusion', '13.5.0', 0.02],
  ['Keka', 'aONe', 'com.aone.keka', '1.3.7', 0.03],
  ['Alfred 5', 'Running with Crayons Ltd', 'com.runningwithcrayons.Alfred', '5.5', 0.04],
  ['Raycast', 'Raycast Technologies Inc.', 'com.raycast.macos', '1.69.2', 0.04],
  ['Magnet', 'CrowdCafe', 'com.crowdcafe.windowmagnet', '2.14.0', 0.04],
  ['Jabra Direct', 'GN Audio A/S', 'com.jabra.directonline', '6.12.18501', 0.04],
  ['RingCentral', 'RingCentral, Inc.', 'com.ringcentral.glip', '23.4.23', 0.03],
  ['Brave Browser', 'Brave Software, Inc.', 'com.brave.Browser', ['122.1.63.165', '123.1.64.113'], 0.04],
  ['DisplayLink Manager', 'DisplayLink Corp.', 'com.displaylink.DisplayLinkUserAgent', '1.10.0', 0.04],
  ['Tailscale', 'Tailscale Inc.', 'io.tailscale.ipn.macos', '1.60.1', 0.03],
  ['Okta Verify', 'Okta, Inc.', 'com.okta.mobile', '9.10.0', 0.05],
]

/** [source, binaries, oldest version, share, section]. Versions follow Debian 12 (bookworm). */
type DebianHeadSource = [source: string, binaries: string[], version: string | string[], share: number, section: string]

const linuxHead: DebianHeadSource[] = [
  ['base-files', ['base-files'], ['12.4+deb12u4', '12.4+deb12u5'], 1, 'admin'],
  ['bash', ['bash'], '5.2.15-2', 1, 'shells'],
  ['coreutils', ['coreutils'], '9.1-1', 1, 'utils'],
  ['dpkg', ['dpkg'], ['1.21.21', '1.21.22'], 1, 'admin'],
  ['apt', ['apt', 'libapt-pkg6.0'], ['2.6.1'], 1, 'admin'],
  ['glibc', ['libc6', 'libc-bin'], '2.36-9+deb12u3', 1, 'libs'],
  ['systemd', ['systemd', 'libsystemd0', 'libudev1', 'udev', 'systemd-sysv', 'systemd-timesyncd'], '252.19-1~deb12u1', 0.98, 'admin'],
  ['openssl', ['openssl', 'libssl3'], '3.0.11-1~deb12u1', 0.99, 'utils'],
  ['curl', ['curl', 'libcurl4', 'libcurl3-gnutls'], '7.88.1-10+deb12u4', 0.9, 'web'],
  ['openssh', ['openssh-client', 'openssh-server', 'openssh-sftp-server'], '1:9.2p1-2+deb12u1', 0.97, 'net'],
  ['sudo', ['sudo'], '1.9.13p3-1+deb12u1', 0.95, 'admin'],
  ['vim', ['vim-common', 'vim-tiny', 'xxd', 'vim', 'vim-runtime'], '2:9.0.1378-2', 0.9, 'editors'],
  ['perl', ['perl-base', 'perl', 'perl-modules-5.36', 'libperl5.36'], '5.36.0-7+deb12u1', 0.97, 'perl'],
  ['python3.11', ['python3.11-minimal', 'libpython3.11-minimal', 'libpython3.11-stdlib', 'python3.11'], '3.11.2-6', 0.85, 'python'],
  ['python3-defaults', ['python3-minimal', 'python3', 'libpython3-stdlib'], '3.11.2-1+b1', 0.85, 'python'],
  ['gnupg2', ['gpgv', 'gnupg', 'gpg', 'dirmngr', 'gpg-agent'], '2.2.40-1.1', 0.9, 'utils'],
  ['e2fsprogs', ['e2fsprogs', 'libext2fs2', 'libcom-err2', 'libss2', 'logsave'], '1.47.0-2', 0.99, 'admin'],
  ['ca-certificates', ['ca-certificates'], ['20230311'], 0.99, 'misc'],
  ['zlib', ['zlib1g'], '1:1.2.13.dfsg-1', 1, 'libs'],
  ['libxml2', ['libxml2'], '2.9.14+dfsg-1.3~deb12u1', 0.8, 'libs'],
  ['xz-utils', ['liblzma5', 'xz-utils'], '5.4.1-0.2', 1, 'utils'],
  ['gnutls28', ['libgnutls30'], '3.7.9-2+deb12u1', 0.97, 'libs'],
  ['bind9', ['bind9-host', 'bind9-libs', 'bind9-dnsutils'], '1:9.18.19-1~deb12u1', 0.6, 'net'],
  ['tzdata', ['tzdata'], '2024a-0+deb12u1', 0.99, 'localization'],
  ['util-linux', ['util-linux', 'mount', 'libblkid1', 'libmount1', 'libuuid1', 'libsmartcols1', 'fdisk', 'bsdutils'], '2.38.1-5+b1', 1, 'utils'],
  ['shadow', ['login', 'passwd'], '1:4.13+dfsg1-1', 1, 'admin'],
  ['pam', ['libpam0g', 'libpam-modules', 'libpam-modules-bin', 'libpam-runtime'], '1.5.2-6+deb12u1', 1, 'admin'],
  ['sqlite3', ['libsqlite3-0'], '3.40.1-2', 0.85, 'libs'],
  ['expat', ['libexpat1'], '2.5.0-1', 0.9, 'libs'],
  ['krb5', ['libkrb5-3', 'libgssapi-krb5-2', 'libk5crypto3', 'libkrb5support0'], '1.20.1-2+deb12u1', 0.95, 'libs'],
  ['libssh2', ['libssh2-1'], '1.10.0-3+b1', 0.8, 'libs'],
  ['nghttp2', ['libnghttp2-14'], '1.52.0-1+deb12u1', 0.9, 'libs'],
  ['ncurses', ['libtinfo6', 'ncurses-base', 'ncurses-bin', 'libncursesw6'], '6.4-4', 1, 'libs'],
  ['readline', ['libreadline8', 'readline-common'], '8.2-1.3', 0.97, 'libs'],
  ['procps', ['procps', 'libproc2-0'], '2:4.0.2-3', 0.99, 'admin'],
  ['iproute2', ['iproute2'], '6.1.0-3', 0.97, 'net'],
  ['iputils', ['iputils-ping'], '3:20221126-1', 0.9, 'net'],
  ['net-tools', ['net-tools'], '2.10-0.1', 0.4, 'net'],
  ['rsyslog', ['rsyslog'], '8.2302.0-1', 0.6, 'admin'],
  ['logrotate', ['logrotate'], '3.21.0-1', 0.9, 'admin'],
  ['cron', ['cron', 'cron-daemon-common'], '3.0pl1-162', 0.9, 'admin'],
  ['tar', ['tar'], '1.34+dfsg-1.2+deb12u1', 1, 'utils'],
  ['gzip', ['gzip'], '1.12-1', 1, 'utils'],
  ['bzip2', ['bzip2', 'libbz2-1.0'], '1.0.8-5+b1', 0.95, 'utils'],
  ['wget', ['wget'], '1.21.3-1+b2', 0.8, 'web'],
  ['rsync', ['rsync'], '3.2.7-1', 0.5, 'net'],
  ['less', ['less'], '590-2.1', 0.9, 'text'],
  ['grep', ['grep'], '3.8-5', 1, 'utils'],
  ['sed', ['sed'], '4.9-1', 1, 'utils'],
  ['findutils', ['findutils'], '4.9.0-4', 1, 'utils'],
  ['diffutils', ['diffutils'], '1:3.8-4', 1, 'utils'],
  ['debianutils', ['debianutils'], '5.7-0.5~deb12u1', 1, 'utils'],
  ['adduser', ['adduser'], ['3.134'], 1, 'admin'],
  ['mawk', ['mawk'], '1.3.4.20200120-3.1', 1, 'interpreters'],
  ['dash', ['dash'], '0.5.12-2', 1, 'shells'],
  ['libcap2', ['libcap2'], '1:2.66-4', 1, 'libs'],
  ['libselinux', ['libselinux1'], '3.4-1+b6', 1, 'libs'],
  ['libgcrypt20', ['libgcrypt20'], '1.10.1-3', 1, 'libs'],
  ['libzstd', ['libzstd1'], '1.5.4+dfsg2-5', 1, 'libs'],
  ['lz4', ['liblz4-1'], '1.9.4-1', 1, 'libs'],
  ['libffi', ['libffi8'], '3.4.4-1', 0.95, 'libs'],
  ['gmp', ['libgmp10'], '2:6.2.1+dfsg1-1.1', 1, 'libs'],
  ['nettle', ['libnettle8', 'libhogweed6'], '3.8.1-2', 0.97, 'libs'],
  ['p11-kit', ['libp11-kit0'], '0.24.1-2', 0.97, 'libs'],
  ['kmod', ['kmod', 'libkmod2'], '30+20221128-1', 0.98, 'admin'],
  ['isc-dhcp', ['isc-dhcp-client', 'isc-dhcp-common'], '4.4.3-P1-2', 0.6, 'net'],
  ['nano', ['nano'], '7.2-1', 0.8, 'editors'],
  ['man-db', ['man-db'], '2.11.2-2', 0.7, 'doc'],
  ['file', ['libmagic1', 'file', 'libmagic-mgc'], '1:5.44-3', 0.8, 'libs'],
  ['linux-signed-amd64', ['linux-image-amd64'], '6.1.69-1', 0.95, 'kernel'],
  ['openldap', ['libldap-2.5-0'], '2.5.13+dfsg-5', 0.9, 'libs'],
  ['cyrus-sasl2', ['libsasl2-2', 'libsasl2-modules-db'], '2.1.28+dfsg-10', 0.9, 'libs'],
  ['gcc-12', ['libgcc-s1', 'libstdc++6', 'gcc-12-base'], '12.2.0-14', 1, 'libs'],
  ['audit', ['libaudit1', 'libaudit-common'], '1:3.0.9-1', 1, 'libs'],
  ['libxcrypt', ['libcrypt1'], '1:4.4.33-2', 1, 'libs'],
  ['pcre2', ['libpcre2-8-0'], '10.42-1', 1, 'libs'],
  ['docker.io', ['docker.io'], '20.10.24+dfsg1-1', 0.1, 'admin'],
  ['containerd', ['containerd'], '1.6.20~ds1-1', 0.1, 'admin'],
  ['runc', ['runc'], '1.1.5+ds1-1', 0.1, 'admin'],
  ['nginx', ['nginx', 'nginx-common'], '1.22.1-9', 0.2, 'httpd'],
  ['apache2', ['apache2', 'apache2-bin', 'apache2-data', 'apache2-utils'], '2.4.57-2', 0.15, 'httpd'],
  ['postgresql-15', ['postgresql-15', 'postgresql-client-15', 'libpq5'], '15.5-0+deb12u1', 0.08, 'database'],
  ['mariadb', ['mariadb-server', 'mariadb-client', 'mariadb-common'], '1:10.11.4-1~deb12u1', 0.07, 'database'],
  ['git', ['git', 'git-man'], '1:2.39.2-1.1', 0.3, 'vcs'],
  ['fail2ban', ['fail2ban'], '1.0.1-2', 0.2, 'net'],
  ['ufw', ['ufw'], '0.36.2-1', 0.2, 'admin'],
  ['unattended-upgrades', ['unattended-upgrades'], ['2.9.1+nmu3'], 0.4, 'admin'],
  ['needrestart', ['needrestart'], '3.6-4', 0.3, 'admin'],
  ['htop', ['htop'], '3.2.2-2', 0.3, 'utils'],
  ['tmux', ['tmux'], '3.3a-3', 0.2, 'admin'],
  ['jq', ['jq', 'libjq1'], '1.6-2.1', 0.2, 'utils'],
  ['php8.2', ['php8.2-cli', 'php8.2-common', 'php8.2-fpm', 'php8.2-opcache'], '8.2.7-1~deb12u1', 0.08, 'php'],
  ['redis', ['redis-server', 'redis-tools'], '5:7.0.11-1+deb12u1', 0.05, 'database'],
  ['haproxy', ['haproxy'], '2.6.12-1', 0.03, 'net'],
  ['postfix', ['postfix'], '3.7.9-0+deb12u1', 0.1, 'mail'],
  ['exim4', ['exim4-base', 'exim4-config', 'exim4-daemon-light'], '4.96-15+deb12u2', 0.15, 'mail'],
  ['samba', ['samba', 'samba-common', 'smbclient', 'libsmbclient', 'libwbclient0'], '2:4.17.12+dfsg-0+deb12u1', 0.05, 'net'],
  ['qemu', ['qemu-guest-agent'], '1:7.2+dfsg-7+deb12u3', 0.3, 'otherosfs'],
  ['open-vm-tools', ['open-vm-tools'], '2:12.2.0-1+deb12u1', 0.3, 'admin'],
  ['cloud-init', ['cloud-init'], '22.4.2-1', 0.2, 'admin'],
  ['chrony', ['chrony'], '4.3-2+deb12u1', 0.3, 'net'],
  ['libjpeg-turbo', ['libjpeg62-turbo'], '1:2.1.5-2', 0.3, 'libs'],
  ['libpng1.6', ['libpng16-16'], '1.6.39-2', 0.35, 'libs'],
  ['tiff', ['libtiff6'], '4.5.0-6+deb12u1', 0.25, 'libs'],
  ['libwebp', ['libwebp7'], '1.2.4-0.2+deb12u1', 0.25, 'libs'],
  ['freetype', ['libfreetype6'], '2.12.1+dfsg-5', 0.3, 'libs'],
  ['imagemagick', ['imagemagick-6-common', 'libmagickcore-6.q16-6'], '8:6.9.11.60+dfsg-1.6', 0.03, 'graphics'],
  ['nodejs', ['nodejs', 'libnode108'], '18.19.0+dfsg-6~deb12u1', 0.05, 'javascript'],
  ['osquery', ['osquery'], ['5.10.2-1.linux', '5.11.0-1.linux', '5.12.1-1.linux'], 0.9, 'admin'],
]

// ---------------------------------------------------------------------------------------------
// Word lists for the long tail.

/** [legal name, brand used in product names, domain for bundle identifiers] */
const vendors: Array<[string, string, string]> = [
  ['Microsoft Corporation', 'Microsoft', 'microsoft'], ['Google LLC', 'Google', 'google'], ['Adobe Inc.', 'Adobe', 'adobe'],
  ['Oracle Corporation', 'Oracle', 'oracle'], ['Cisco Systems, Inc.', 'Cisco', 'cisco'], ['Dell Inc.', 'Dell', 'dell'],
  ['HP Inc.', 'HP', 'hp'], ['Lenovo', 'Lenovo', 'lenovo'], ['Intel Corporation', 'Intel(R)', 'intel'],
  ['NVIDIA Corporation', 'NVIDIA', 'nvidia'], ['Advanced Micro Devices, Inc.', 'AMD', 'amd'], ['Realtek Semiconductor Corp.', 'Realtek', 'realtek'],
  ['Citrix Systems, Inc.', 'Citrix', 'citrix'], ['VMware, Inc.', 'VMware', 'vmware'], ['Autodesk, Inc.', 'Autodesk', 'autodesk'],
  ['Sophos Limited', 'Sophos', 'sophos'], ['ESET, spol. s r.o.', 'ESET', 'eset'], ['Kaseya', 'Kaseya', 'kaseya'],
  ['ConnectWise, LLC', 'ConnectWise', 'connectwise'], ['N-able Technologies', 'N-able', 'n-able'], ['TeamViewer Germany GmbH', 'TeamViewer', 'teamviewer'],
  ['Splashtop Inc.', 'Splashtop', 'splashtop'], ['Fortinet Technologies Inc', 'FortiClient', 'fortinet'], ['Palo Alto Networks', 'Palo Alto', 'paloaltonetworks'],
  ['SonicWall Inc.', 'SonicWall', 'sonicwall'], ['WatchGuard Technologies, Inc.', 'WatchGuard', 'watchguard'], ['Veeam Software Group GmbH', 'Veeam', 'veeam'],
  ['Datto, Inc.', 'Datto', 'datto'], ['Acronis International GmbH', 'Acronis', 'acronis'], ['Bitdefender', 'Bitdefender', 'bitdefender'],
  ['Malwarebytes', 'Malwarebytes', 'malwarebytes'], ['CrowdStrike, Inc.', 'CrowdStrike', 'crowdstrike'], ['Huntress Labs, Inc.', 'Huntress', 'huntress'],
  ['Trend Micro Inc.', 'Trend Micro', 'trendmicro'], ['Kaspersky', 'Kaspersky', 'kaspersky'], ['Broadcom Inc.', 'Symantec', 'broadcom'],
  ['Avast Software', 'Avast', 'avast'], ['Webroot', 'Webroot', 'webroot'], ['Sage (UK) Limited', 'Sage', 'sage'],
  ['Intuit Inc.', 'Intuit', 'intuit'], ['Foxit Software Inc.', 'Foxit', 'foxit'], ['Nitro Software, Inc.', 'Nitro', 'gonitro'],
  ['Tracker Software Products (Canada) Ltd.', 'PDF-XChange', 'tracker-software'], ['Corel Corporation', 'Corel', 'corel'], ['Logitech', 'Logitech', 'logitech'],
  ['Brother Industries, Ltd.', 'Brother', 'brother'], ['Canon Inc.', 'Canon', 'canon'], ['Seiko Epson Corporation', 'Epson', 'epson'],
  ['Xerox Corporation', 'Xerox', 'xerox'], ['Ricoh Co., Ltd.', 'Ricoh', 'ricoh'], ['KYOCERA Document Solutions Inc.', 'KYOCERA', 'kyocera'],
  ['Konica Minolta', 'Konica Minolta', 'konicaminolta'], ['Lexmark International, Inc.', 'Lexmark', 'lexmark'], ['Sharp Corporation', 'Sharp', 'sharp'],
  ['BeyondTrust Corporation', 'BeyondTrust', 'beyondtrust'], ['LastPass', 'LastPass', 'lastpass'], ['Keeper Security, Inc.', 'Keeper', 'keepersecurity'],
  ['Cloudflare, Inc.', 'Cloudflare', 'cloudflare'], ['OpenVPN Inc.', 'OpenVPN', 'openvpn'], ['Okta, Inc.', 'Okta', 'okta'],
  ['Duo Security', 'Duo', 'duosecurity'], ['Ivanti', 'Ivanti', 'ivanti'], ['Qualys, Inc.', 'Qualys', 'qualys'],
  ['Tenable, Inc.', 'Tenable', 'tenable'], ['Rapid7 LLC', 'Rapid7', 'rapid7'], ['Barracuda Networks, Inc.', 'Barracuda', 'barracuda'],
  ['Mimecast', 'Mimecast', 'mimecast'], ['Egnyte, Inc.', 'Egnyte', 'egnyte'], ['Box, Inc.', 'Box', 'box'],
  ['Atlassian', 'Atlassian', 'atlassian'], ['JetBrains s.r.o.', 'JetBrains', 'jetbrains'], ['SolarWinds Worldwide, LLC', 'SolarWinds', 'solarwinds'],
  ['Paessler AG', 'PRTG', 'paessler'], ['Zoho Corporation', 'ManageEngine', 'zoho'], ['Mitel Networks Corporation', 'Mitel', 'mitel'],
  ['Avaya Inc.', 'Avaya', 'avaya'], ['RingCentral, Inc.', 'RingCentral', 'ringcentral'], ['8x8 Inc', '8x8', '8x8'],
  ['GN Audio A/S', 'Jabra', 'jabra'], ['Plantronics, Inc.', 'Plantronics', 'plantronics'], ['Yealink Network Technology Co., Ltd.', 'Yealink', 'yealink'],
  ['Wacom Co., Ltd.', 'Wacom', 'wacom'], ['Synaptics Incorporated', 'Synaptics', 'synaptics'], ['ELAN Microelectronic Corp.', 'ELAN', 'elan'],
  ['Dolby Laboratories, Inc.', 'Dolby', 'dolby'], ['Waves Audio Ltd.', 'Waves', 'waves'], ['DisplayLink Corp.', 'DisplayLink', 'displaylink'],
  ['Razer Inc.', 'Razer', 'razer'], ['Corsair', 'Corsair', 'corsair'], ['ASUSTeK Computer Inc.', 'ASUS', 'asus'],
  ['Micro-Star International Co., Ltd.', 'MSI', 'msi'], ['Acer Incorporated', 'Acer', 'acer'], ['Samsung Electronics Co., Ltd.', 'Samsung', 'samsung'],
  ['Amazon Web Services, Inc.', 'AWS', 'amazon'], ['Docker Inc.', 'Docker', 'docker'], ['Eclipse Adoptium', 'Eclipse Temurin', 'adoptium'],
  ['Azul Systems, Inc.', 'Zulu', 'azul'], ['Bentley Systems, Incorporated', 'Bentley', 'bentley'], ['Trimble Inc.', 'Trimble', 'trimble'],
  ['Esri', 'ArcGIS', 'esri'], ['Henry Schein One', 'Dentrix', 'henryschein'], ['Thomson Reuters', 'Thomson Reuters', 'thomsonreuters'],
  ['Wolters Kluwer', 'CCH', 'wolterskluwer'], ['Clio', 'Clio', 'clio'], ['Kofax, Inc.', 'Kofax', 'kofax'],
  ['Nuance Communications, Inc.', 'Nuance', 'nuance'], ['Bluebeam, Inc.', 'Bluebeam', 'bluebeam'], ['Smartsheet Inc.', 'Smartsheet', 'smartsheet'],
  ['Zoom Video Communications, Inc.', 'Zoom', 'zoom'], ['Mozilla', 'Mozilla', 'mozilla'], ['Apple Inc.', 'Apple', 'apple'],
  ['Panda Security', 'Panda', 'pandasecurity'], ['F-Secure Corporation', 'F-Secure', 'f-secure'], ['Check Point Software Technologies Ltd.', 'Check Point', 'checkpoint'],
  ['Zscaler, Inc.', 'Zscaler', 'zscaler'], ['Netskope, Inc.', 'Netskope', 'netskope'], ['Proofpoint, Inc.', 'Proofpoint', 'proofpoint'],
  ['Exclaimer Ltd', 'Exclaimer', 'exclaimer'], ['CodeTwo', 'CodeTwo', 'codetwo'], ['Ninite', 'Ninite', 'ninite'],
  ['Chocolatey Software, Inc.', 'Chocolatey', 'chocolatey'], ['Gen Digital Inc.', 'Norton', 'gendigital'], ['Mitel', 'MiCollab', 'mitel'],
  ['Poly', 'Poly', 'poly'], ['Vonage', 'Vonage', 'vonage'], ['Dialpad, Inc.', 'Dialpad', 'dialpad'],
  ['Genesys', 'Genesys', 'genesys'], ['Five9', 'Five9', 'five9'], ['NICE Ltd.', 'NICE', 'nice'],
]

const windowsNouns = [
  'Agent', 'Update Service', 'Connect', 'Sync', 'Backup Client', 'Remote Access', 'Device Manager', 'Print Driver', 'Scan Utility',
  'Toolbox', 'Studio', 'Runtime', 'SDK', 'Viewer', 'Reader', 'Editor', 'Scanner', 'Assistant', 'Launcher', 'Helper', 'Tools',
  'Driver Package', 'Monitor', 'Control Center', 'Desktop', 'Workspace', 'Client', 'Console', 'Manager', 'Installer', 'Plug-in',
  'Add-in for Outlook', 'Add-in for Excel', 'Bridge', 'Gateway', 'Collector', 'Sensor', 'Protection', 'Firewall', 'VPN Client',
  'Password Manager', 'Sync Center', 'Audio Console', 'Camera Hub', 'Hotkey Utility', 'Power Manager', 'Battery Manager',
  'Firmware Updater', 'Diagnostics', 'Recovery', 'Migration Assistant', 'Secure Browser', 'Meeting Add-in', 'Softphone',
  'Fax Utility', 'Label Printer Driver', 'Document Capture', 'Data Access Components', 'ODBC Driver', 'Report Designer',
  'Workstation', 'Accounts', 'Payroll', 'Practice Management', 'Imaging', 'Bridge Service', 'Telemetry', 'Notifier', 'Updater',
  'Tray', 'Runtime Components', 'Language Pack', 'Codec Pack', 'Media Player', 'Screen Recorder', 'Network Inspector',
  'Endpoint Security', 'Web Filter', 'Identity Agent', 'Single Sign-On', 'Cloud Connector', 'File Sync', 'Print Management',
  'Universal Print Driver', 'Smart Card Middleware', 'Presence Plugin', 'Call Recorder', 'Contact Center Agent', 'Dialer',
]

const windowsQualifiers = [
  '', '', '', '', '', '', '(x64)', '(64-bit)', 'x86', 'Pro', 'Enterprise', 'Lite', 'Plus', 'for Windows', '2019', '2021', '2022',
  '2023', '2024', 'Server', 'Standard', 'Community Edition', 'Express', 'Classic', 'NG', 'SE', 'LTS', 'MUI', '(Machine-Wide)', '(User)',
]

const macNouns = [
  'Agent', 'Connect', 'Sync', 'Backup', 'Remote', 'Viewer', 'Reader', 'Editor', 'Scanner', 'Assistant', 'Launcher', 'Helper',
  'Tools', 'Monitor', 'Desktop', 'Workspace', 'Client', 'Console', 'Studio', 'Updater', 'Menu', 'Utility', 'Capture', 'Notes',
  'Meetings', 'Phone', 'Drive', 'Vault', 'VPN', 'Protect', 'Print Center', 'Camera', 'Audio', 'Screen', 'Companion',
]

const indieHeads = ['Pixel', 'Clip', 'Note', 'Flow', 'Hyper', 'Swift', 'Bar', 'Drop', 'Type', 'Lens', 'Dock', 'Key', 'Snap', 'Quick', 'Focus', 'Tidy', 'Bright', 'Calm', 'Paste', 'Shot', 'Task', 'Mail', 'Cal', 'Draw', 'Code', 'Term', 'Disk', 'Net', 'Cloud', 'Spark', 'Echo', 'Mono', 'Stack', 'Grid', 'Loop']
const indieTails = ['ly', 'er', 'it', 'Box', 'Kit', 'Pad', 'Bot', 'Hub', 'Mate', 'Bar', 'Pro', 'Flow', 'Wise', 'Craft', 'Deck', 'Dash', 'Sync', 'Space', 'Base', 'Works']
const surnames = ['Hanson', 'Okafor', 'Lindqvist', 'Moreau', 'Tanaka', 'Novak', 'Silva', 'Kowalski', 'Murphy', 'Schmidt', 'Rossi', 'Nguyen', 'Patel', 'Larsen', 'Fischer', 'Dubois', 'Costa', 'Walsh', 'Kim', 'Berg', 'Ahmed', 'Jensen', 'Weber', 'Ivanova', 'Clarke', 'Duarte', 'Sato', 'Horvath', 'Brennan', 'Lund']
const givenNames = ['Anna', 'Ben', 'Chloe', 'David', 'Elena', 'Felix', 'Grace', 'Hugo', 'Iris', 'Jonas', 'Kate', 'Liam', 'Maya', 'Noah', 'Olga', 'Paul', 'Rosa', 'Sam', 'Tara', 'Viktor']
const macCategories = ['public.app-category.productivity', 'public.app-category.utilities', 'public.app-category.developer-tools', 'public.app-category.business', 'public.app-category.graphics-design', 'public.app-category.social-networking', 'public.app-category.video', 'public.app-category.music', '']

const debianWords = [
  'yaml', 'json', 'xml', 'http', 'png', 'jpeg', 'ssh', 'tls', 'crypt', 'zip', 'mime', 'uri', 'dns', 'ldap', 'nss', 'mpfr', 'event',
  'uv', 'ev', 'sodium', 'argon2', 'bsd', 'blkid', 'cairo', 'pango', 'glib', 'gtk', 'qt', 'x11', 'xcb', 'drm', 'gbm', 'vulkan', 'opus',
  'vorbis', 'ogg', 'flac', 'lame', 'soup', 'notify', 'secret', 'keyring', 'ical', 'vte', 'gudev', 'usb', 'pci', 'hid', 'evdev',
  'wacom', 'bluetooth', 'pulse', 'alsa', 'jack', 'sndfile', 'samplerate', 'speex', 'gsm', 'srtp', 'sip', 'rtmp', 'vpx', 'x264',
  'dav1d', 'aom', 'avif', 'heif', 'raw', 'exif', 'lcms', 'openjp', 'gif', 'sixel', 'caca', 'slang', 'newt', 'dialog', 'popt',
  'getopt', 'regex', 'onig', 'tre', 'hunspell', 'aspell', 'enchant', 'icu', 'unistring', 'iconv', 'gettext', 'yelp', 'texi',
  'lua', 'tcl', 'tk', 'guile', 'ocaml', 'erlang', 'requests', 'urllib3', 'six', 'dateutil', 'tz', 'jinja2', 'markupsafe', 'click',
  'flask', 'django', 'toml', 'attrs', 'certifi', 'chardet', 'idna', 'cryptography', 'paramiko', 'psutil', 'setuptools', 'wheel',
  'packaging', 'pyparsing', 'ply', 'lxml', 'bs4', 'html5lib', 'simplejson', 'msgpack', 'protobuf', 'grpc', 'zmq', 'redis',
  'pymysql', 'psycopg2', 'sqlalchemy', 'alembic', 'babel', 'pygments', 'docutils', 'sphinx', 'numpy', 'scipy', 'pandas',
  'matplotlib', 'pil', 'gi', 'dbus', 'apt', 'debconf', 'netaddr', 'netifaces', 'distro', 'ldb', 'talloc', 'tdb', 'tevent',
  'augeas', 'bpf', 'pcap', 'nl', 'mnl', 'nftnl', 'nftables', 'iptables', 'ipset', 'conntrack', 'ebtables', 'snmp', 'sensors',
  'smart', 'hdparm', 'lvm', 'mdadm', 'cryptsetup', 'dm', 'multipath', 'iscsi', 'nfs', 'cifs', 'fuse', 'squash', 'btrfs', 'xfs',
  'grub', 'efi', 'shim', 'mokutil', 'plymouth', 'console', 'kbd', 'locale', 'tzinfo', 'mariadb', 'mysql', 'pq', 'sqlite',
  'lmdb', 'leveldb', 'rocksdb', 'snappy', 'brotli', 'zopfli', 'archive', 'cpio', 'pax', 'unzip', 'zstd', 'lzo', 'zzip', 'uuid',
  'curl', 'wget', 'aria2', 'axel', 'proxy', 'squid', 'varnish', 'haproxy', 'keepalived', 'corosync', 'pacemaker', 'ceph',
  'gluster', 'minio', 'etcd', 'consul', 'vault', 'nomad', 'prometheus', 'grafana', 'zabbix', 'nagios', 'icinga', 'munin',
  'collectd', 'telegraf', 'fluent', 'logstash', 'beats', 'auditd', 'aide', 'tripwire', 'clamav', 'rkhunter', 'lynis', 'ossec',
  'suricata', 'snort', 'zeek', 'openvpn', 'wireguard', 'strongswan', 'libreswan', 'ppp', 'hostapd', 'wpa', 'avahi', 'mdns',
]

const golangOrgs = ['spf13', 'sirupsen', 'stretchr', 'gorilla', 'pkg', 'hashicorp', 'prometheus', 'golang', 'google', 'miekg', 'vishvananda', 'coreos', 'docker', 'opencontainers', 'containerd']
const debianTeams = [
  'Debian Python Team <team+python@tracker.debian.org>', 'Debian Perl Group <pkg-perl-maintainers@lists.alioth.debian.org>',
  'Debian Javascript Maintainers <pkg-javascript-devel@lists.alioth.debian.org>', 'Debian Go Packaging Team <team+pkg-go@tracker.debian.org>',
  'Debian R Packages Maintainers <r-pkg-team@alioth-lists.debian.net>', 'Debian Ruby Team <pkg-ruby-extras-maintainers@lists.alioth.debian.org>',
  'Debian Fonts Task Force <debian-fonts@lists.debian.org>', 'Debian GNOME Maintainers <pkg-gnome-maintainers@lists.alioth.debian.org>',
  'Debian QA Group <packages@qa.debian.org>', 'Debian Multimedia Maintainers <debian-multimedia@lists.debian.org>',
  'Debian X Strike Force <debian-x@lists.debian.org>', 'Debian Security Tools <team+pkg-security@tracker.debian.org>',
]

/** Customer names: [first, trade, suffix]. */
export const customerWords = {
  first: [
    'Harbor', 'Pinecrest', 'Northwind', 'Bluewater', 'Summit', 'Redwood', 'Oakridge', 'Lakeside', 'Riverside', 'Granite', 'Silverline',
    'Meridian', 'Keystone', 'Evergreen', 'Brightpath', 'Ironbridge', 'Westfield', 'Eastgate', 'Kingsley', 'Ashford', 'Whitmore', 'Hollis',
    'Carver', 'Bennett', 'Fairview', 'Stonegate', 'Cedar', 'Maple', 'Willow', 'Aspen', 'Beacon', 'Copperfield', 'Highland', 'Marlow',
    'Thornbury', 'Elmstead', 'Sandpiper', 'Falcon', 'Juniper', 'Hawthorne', 'Larkspur', 'Windmill', 'Crescent', 'Pioneer', 'Heritage',
    'Lighthouse', 'Foxglove', 'Bramble', 'Sterling', 'Wexford', 'Alder', 'Birchwood', 'Clearwater', 'Driftwood', 'Emberly', 'Glenfield',
  ],
  trade: [
    'Dental', 'Legal', 'Accounting', 'Logistics', 'Manufacturing', 'Medical', 'Family Practice', 'Veterinary', 'Architects', 'Engineering',
    'Construction', 'Realty', 'Insurance', 'Financial', 'Wealth Management', 'Pharmacy', 'Motors', 'Hotels', 'Foods', 'Brewing',
    'Credit Union', 'Clinic', 'Orthodontics', 'Physiotherapy', 'Marketing', 'Media', 'Property Management', 'Plumbing', 'Electric',
    'HVAC', 'Freight', 'Labs', 'Charitable Trust', 'Academy', 'Surveyors', 'Opticians', 'Print', 'Interiors', 'Landscaping', 'Recruitment',
  ],
  suffix: ['Group', 'LLP', 'Ltd', 'Inc.', '& Partners', 'Associates', 'Co.', '', '', 'PLLC', 'LLC', 'Pty Ltd'],
}

// ---------------------------------------------------------------------------------------------
// Versions.

/** A generated series of dotted versions, ascending, from the oldest: later parts bump more often. */
function dottedSeries(random: Random, oldest: string, count: number): string[] {
  const parts = oldest.split('.')
  const widths = parts.map((part) => (part.length > 1 && part.startsWith('0') ? part.length : 0))
  const numbers = parts.map((part) => Number.parseInt(part, 10) || 0)
  const series = [oldest]
  for (let i = 1; i < count; i++) {
    const position = numbers.length === 1 ? 0 : random() < 0.65 ? numbers.length - 1 : random() < 0.7 ? numbers.length - 2 : Math.max(0, numbers.length - 3)
    numbers[position] = numbers[position]! + 1 + randomInt(random, position === numbers.length - 1 && numbers[position]! > 100 ? 60 : 3)
    for (let later = position + 1; later < numbers.length; later++) numbers[later] = numbers[later]! > 100 ? numbers[later]! + randomInt(random, 40) : randomInt(random, 3)
    series.push(numbers.map((n, index) => (widths[index] ? String(n).padStart(widths[index]!, '0') : String(n))).join('.'))
  }
  return series
}

function randomDotted(random: Random): string {
  const style = random()
  const major = random() < 0.15 ? 2015 + randomInt(random, 10) : randomInt(random, 12)
  if (style < 0.2) return `${major}.${randomInt(random, 30)}`
  if (style < 0.7) return `${major}.${randomInt(random, 20)}.${randomInt(random, 15)}`
  return `${major}.${randomInt(random, 10)}.${randomInt(random, 30)}.${randomInt(random, 9000)}`
}

interface DebianVersion {
  epoch: string
  upstream: string
  revision: string
}

function parseDebian(version: string): DebianVersion {
  const colon = version.indexOf(':')
  const epoch = colon > 0 ? version.slice(0, colon + 1) : ''
  const rest = colon > 0 ? version.slice(colon + 1) : version
  const dash = rest.lastIndexOf('-')
  return dash < 0 ? { epoch, upstream: rest, revision: '' } : { epoch, upstream: rest.slice(0, dash), revision: rest.slice(dash + 1) }
}

function formatDebian(version: DebianVersion): string {
  return `${version.epoch}${version.upstream}${version.revision ? `-${version.revision}` : ''}`
}

/** Add to the last digit run of a version part: "9.2p1" → "9.2p2", "1.2.13.dfsg" → "1.2.14.dfsg". */
function bumpLastNumber(text: string, by: number): string {
  const match = /(\d+)(\D*)$/.exec(text)
  if (!match) return `${text}.1`
  const digits = match[1]!
  return `${text.slice(0, match.index)}${String(Number(digits) + by).padStart(digits.length, '0')}${match[2]}`
}

/**
 * A Debian version strictly lower than `version` (for advisories fixed before the estate's oldest
 * build): lowers the rightmost non-zero digit run of the upstream version. dpkg compares digit runs
 * numerically left to right, so a smaller run under an equal prefix decides the order.
 */
export function debianVersionBelow(version: string): string {
  const parsed = parseDebian(version)
  const runs = [...parsed.upstream.matchAll(/\d+/g)]
  for (let i = runs.length - 1; i >= 0; i--) {
    const run = runs[i]!
    const value = Number(run[0])
    if (value === 0) continue
    const lowered = run[0].startsWith('0') ? String(value - 1).padStart(run[0].length, '0') : String(value - 1)
    const upstream = `${parsed.upstream.slice(0, run.index)}${lowered}${parsed.upstream.slice(run.index! + run[0].length)}`
    return formatDebian({ epoch: parsed.epoch, upstream, revision: parsed.revision ? '1' : '' })
  }
  return formatDebian({ ...parsed, upstream: `${parsed.upstream}~~` })
}

/** A Debian version strictly above `version`: the next stable update. */
export function debianVersionAbove(version: string): string {
  const parsed = parseDebian(version)
  if (!parsed.revision) return formatDebian({ ...parsed, upstream: bumpLastNumber(parsed.upstream, 1) })
  const update = /deb12u(\d+)$/.exec(parsed.revision)
  const revision = update ? `${parsed.revision.slice(0, update.index)}deb12u${Number(update[1]) + 1}` : `${parsed.revision.replace(/\+b\d+$/, '')}+deb12u1`
  return formatDebian({ ...parsed, revision })
}

/**
 * An ascending series of Debian versions from the oldest: stable updates ("+deb12u1", "~deb12u2"),
 * new upstream releases into stable, and now and then a "~rc1" pre-release just before a release.
 * Every step is above the last in dpkg order by construction (epochs stay, '~' sorts first).
 */
function debianSeries(random: Random, oldest: string, count: number): string[] {
  const series = [oldest]
  let current = parseDebian(oldest)
  while (series.length < count) {
    const step = random()
    if (!current.revision || step < 0.5) {
      series.push(debianVersionAbove(formatDebian(current)))
      current = parseDebian(series[series.length - 1]!)
    } else if (step < 0.9 || series.length + 2 > count) {
      current = { epoch: current.epoch, upstream: bumpLastNumber(current.upstream, 1 + randomInt(random, 3)), revision: random() < 0.5 ? '1~deb12u1' : '0+deb12u1' }
      series.push(formatDebian(current))
    } else {
      const upstream = bumpLastNumber(current.upstream, 1)
      series.push(formatDebian({ epoch: current.epoch, upstream: `${upstream}~rc1`, revision: '1' }))
      current = { epoch: current.epoch, upstream, revision: '1' }
      series.push(formatDebian(current))
    }
  }
  return series.slice(0, count)
}

function randomDebianVersion(random: Random): string {
  const epoch = random() < 0.08 ? `${1 + randomInt(random, 2)}:` : ''
  const style = random()
  let upstream = style < 0.3 ? `${randomInt(random, 5)}.${randomInt(random, 30)}` : `${randomInt(random, 12)}.${randomInt(random, 25)}.${2 + randomInt(random, 20)}`
  const flavour = random()
  if (flavour < 0.12) upstream += '+dfsg'
  else if (flavour < 0.17) upstream += '+ds'
  else if (flavour < 0.2) upstream += '+really' + `${randomInt(random, 5)}.${randomInt(random, 9)}`
  const revision = pick(random, ['1', '1', '1', '2', '2', '3', '4', '1.1', '0.1', '2+b1', '5'])
  return `${epoch}${upstream}-${revision}`
}

/** Cumulative weights: the newest version most common, each older one `decay` as common. */
function versionWeights(count: number, decay: number): number[] {
  const raw = Array.from({ length: count }, (_, index) => decay ** (count - 1 - index))
  const total = raw.reduce((sum, weight) => sum + weight, 0)
  let running = 0
  return raw.map((weight, index) => (index === count - 1 ? 1 : (running += weight / total)))
}

// ---------------------------------------------------------------------------------------------
// Building the catalog.

function guid(random: Random): string {
  const hex = randomHex(random, 32).toUpperCase()
  return `{${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}}`
}

function fillName(template: string, version: string): string {
  const parts = version.split('.')
  return template
    .replace('{v}', version)
    .replace('{v1}', parts.slice(0, 1).join('.'))
    .replace('{v2}', parts.slice(0, 2).join('.'))
    .replace('{v3}', parts.slice(0, 3).join('.'))
}

/** Zipf-ish pick over a list: early items are chosen far more often. */
function skewedIndex(random: Random, length: number, exponent = 1.6): number {
  return Math.min(length - 1, Math.floor(length * random() ** exponent))
}

interface Builder {
  random: Random
  entries: CatalogEntry[]
  nextSeries: number
}

function addEntries(builder: Builder, product: CatalogProduct, names: string[], versions: string[]): void {
  const { random } = builder
  for (let i = 0; i < versions.length; i++) {
    const version = versions[i]!
    product.entries.push({
      id: builder.entries.length,
      platform: product.platform,
      product: product.index,
      name: names[i]!,
      version,
      identifyingNumber: product.windows?.msi ? guid(random) : '',
      bundleVersion: product.macos ? (random() < 0.5 ? version : `${version.split('.').slice(0, 2).join('.')}.${1000 + randomInt(random, 90000)}`) : '',
      size: product.linux ? 16 + randomInt(random, random() < 0.1 ? 200_000 : 4_000) : 0,
    })
    builder.entries.push(product.entries[product.entries.length - 1]!)
  }
}

function windowsProduct(builder: Builder, pool: CatalogProduct[], name: string, vendor: string, versions: string[], share: number, special = false, brandName?: string): CatalogProduct {
  const { random } = builder
  const baseName = name.replace(/\s*v?\{v\d?\}/, '').replace(/\s+-\s*$/, '').replace(/\s{2,}/g, ' ').trim()
  const folder = baseName.replace(/[^A-Za-z0-9 +.-]/g, '').trim() || 'App'
  const brand = (brandName ?? baseName.split(' ')[0] ?? vendor).replace(/\(R\)|[^A-Za-z0-9 +.-]/g, '')
  const product: CatalogProduct = {
    platform: 'windows',
    index: pool.length,
    vendor,
    name: baseName,
    source: '',
    series: builder.nextSeries++,
    share,
    rank: pool.length,
    entries: [],
    versionWeights: versionWeights(versions.length, 0.45 + random() * 0.3),
    special,
    windows: {
      installLocation: random() < 0.35 ? '' : `${random() < 0.8 ? 'C:\\Program Files\\' : 'C:\\Program Files (x86)\\'}${brand}\\${folder}\\`,
      msi: random() < 0.6,
      language: random() < 0.5 ? '1033' : random() < 0.3 ? '0' : '',
      datedInstall: random() < 0.85,
    },
  }
  addEntries(builder, product, versions.map((version) => fillName(name, version)), versions)
  pool.push(product)
  return product
}

function macProduct(builder: Builder, pool: CatalogProduct[], name: string, vendor: string, bundleIdentifier: string, versions: string[], share: number, special = false): CatalogProduct {
  const { random } = builder
  const year = 2018 + randomInt(random, 7)
  const product: CatalogProduct = {
    platform: 'macos',
    index: pool.length,
    vendor,
    name,
    source: '',
    series: builder.nextSeries++,
    share,
    rank: pool.length,
    entries: [],
    versionWeights: versionWeights(versions.length, 0.4 + random() * 0.3),
    special,
    macos: {
      bundleIdentifier,
      executable: random() < 0.8 ? name : name.replace(/\s+/g, ''),
      category: pick(random, macCategories),
      minimumSystemVersion: pick(random, ['10.13', '10.15', '11.0', '12.0', '12.3', '13.0']),
      copyright: random() < 0.15 ? '' : `Copyright © ${year === 2024 ? '' : `${year}-`}2024 ${vendor.replace(/\.$/, '')}. All rights reserved.`,
      displayName: random() < 0.4,
      appleScript: random() < 0.2,
    },
  }
  addEntries(builder, product, versions.map(() => name), versions)
  pool.push(product)
  return product
}

function debianSource(builder: Builder, pool: CatalogProduct[], source: string, binaries: string[], versions: string[], share: number, section: string, maintainer: string): void {
  const { random } = builder
  const series = builder.nextSeries++
  const weights = versionWeights(versions.length, 0.35 + random() * 0.35)
  binaries.forEach((binary, index) => {
    const product: CatalogProduct = {
      platform: 'linux',
      index: pool.length,
      vendor: maintainer,
      name: binary,
      source,
      series,
      // Secondary binaries of a source are a little rarer than the first.
      share: share * (index === 0 ? 1 : 0.9 + random() * 0.1),
      rank: pool.length,
      entries: [],
      versionWeights: weights,
      special: false,
      linux: {
        section: binary.startsWith('lib') && !binary.endsWith('-perl') ? 'libs' : section,
        priority: share >= 0.99 ? pick(random, ['required', 'important']) : share > 0.5 ? pick(random, ['important', 'standard', 'optional']) : 'optional',
        arch: /-(common|data|doc|man)$|^fonts-|^python3-|-perl$|^node-|^ruby-/.test(binary) ? 'all' : 'amd64',
      },
    }
    addEntries(builder, product, versions.map(() => binary), versions)
    pool.push(product)
  })
}

function person(random: Random): string {
  const given = pick(random, givenNames)
  const family = pick(random, surnames)
  return `${given} ${family} <${given.toLowerCase()}@debian.org>`
}

/**
 * The software pool: about `perPlatform` products per platform. Deterministic for a seed; the
 * default seed is shared by the estate and the advisory generators so they agree.
 */
export function buildCatalog(options: { seed?: number; perPlatform?: number } = {}): Catalog {
  const random = createRandom(options.seed ?? catalogSeed)
  const perPlatform = options.perPlatform ?? 3000
  const builder: Builder = { random, entries: [], nextSeries: 0 }
  const windows: CatalogProduct[] = []
  const macos: CatalogProduct[] = []
  const linux: CatalogProduct[] = []
  const seen = new Set<string>()

  for (const [name, vendor, versions, share] of windowsHead) {
    const list = typeof versions === 'string' ? dottedSeries(random, versions, 3 + randomInt(random, 6)) : versions
    windowsProduct(builder, windows, name, vendor, list, share)
    seen.add(`windows:${name.toLowerCase()}`)
  }
  const threeCxWindows = windowsProduct(builder, windows, threeCx.name, threeCx.publisher, [...threeCx.windows.clean.slice(0, 1), ...threeCx.windows.affected, ...threeCx.windows.clean.slice(1)], 0, true)
  while (windows.length < perPlatform) {
    const [vendor, brand] = vendors[skewedIndex(random, vendors.length)]!
    const qualifier = pick(random, windowsQualifiers)
    const name = `${brand} ${pick(random, windowsNouns)}${qualifier ? ` ${qualifier}` : ''}`
    if (seen.has(`windows:${name.toLowerCase()}`)) continue
    seen.add(`windows:${name.toLowerCase()}`)
    const count = 1 + randomInt(random, random() < 0.3 ? 12 : 6)
    windowsProduct(builder, windows, name, vendor, dottedSeries(random, randomDotted(random), count), 0, false, brand)
  }

  for (const [name, vendor, bundleIdentifier, versions, share] of macosHead) {
    const list = typeof versions === 'string' ? dottedSeries(random, versions, 3 + randomInt(random, 5)) : versions
    macProduct(builder, macos, name, vendor, bundleIdentifier, list, share)
    seen.add(`macos:${name.toLowerCase()}`)
  }
  const macVersions = [...threeCx.macos.affected, ...threeCx.macos.clean]
  const threeCxMac = macProduct(builder, macos, threeCx.name, threeCx.publisher, 'com.electron.3cx-desktop-app', macVersions, 0, true)
  while (macos.length < perPlatform) {
    let name: string
    let vendor: string
    let domain: string
    if (random() < 0.5) {
      const [legal, brand, vendorDomain] = vendors[skewedIndex(random, vendors.length)]!
      name = `${brand} ${pick(random, macNouns)}`
      vendor = legal
      domain = `com.${vendorDomain}`
    } else {
      name = `${pick(random, indieHeads)}${pick(random, indieTails)}${random() < 0.2 ? ` ${2 + randomInt(random, 4)}` : ''}`
      const family = pick(random, surnames)
      vendor = random() < 0.5 ? `${family} Software` : `${name.split(' ')[0]} Labs`
      domain = random() < 0.5 ? `com.${family.toLowerCase()}` : `io.${name.split(' ')[0]!.toLowerCase()}`
    }
    if (seen.has(`macos:${name.toLowerCase()}`)) continue
    seen.add(`macos:${name.toLowerCase()}`)
    const count = 1 + randomInt(random, random() < 0.3 ? 10 : 5)
    macProduct(builder, macos, name, vendor, `${domain}.${name.replace(/[^A-Za-z0-9]/g, '').toLowerCase()}`, dottedSeries(random, randomDotted(random), count), 0)
  }

  const sources = new Set<string>()
  for (const [source, binaries, versions, share, section] of linuxHead) {
    const list = typeof versions === 'string' ? debianSeries(random, versions, 3 + randomInt(random, 6)) : versions
    const maintainer = random() < 0.8 ? person(random) : 'Debian QA Group <packages@qa.debian.org>'
    debianSource(builder, linux, source, binaries, list, share, section, maintainer)
    sources.add(source)
    for (const binary of binaries) seen.add(`linux:${binary}`)
  }
  const absentDebianSources: string[] = []
  while (linux.length < perPlatform || absentDebianSources.length < 2000) {
    const word = pick(random, debianWords)
    const shape = random()
    let source: string
    let binaries: string[]
    let section: string
    let maintainer = pick(random, debianTeams)
    if (shape < 0.3) {
      source = `lib${word}`
      const soname = pick(random, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '-1.0-0', '-2.0-0', '1t64'])
      binaries = [`lib${word}${soname}`, ...(random() < 0.3 ? [`lib${word}-dev`] : []), ...(random() < 0.3 ? [`lib${word}-common`] : [])]
      section = 'libs'
      maintainer = person(random)
    } else if (shape < 0.5) {
      source = `python-${word}`
      binaries = [`python3-${word}`]
      section = 'python'
      maintainer = debianTeams[0]!
    } else if (shape < 0.6) {
      source = `node-${word}`
      binaries = [`node-${word}`]
      section = 'javascript'
      maintainer = debianTeams[2]!
    } else if (shape < 0.67) {
      source = `ruby-${word}`
      binaries = [`ruby-${word}`]
      section = 'ruby'
      maintainer = debianTeams[5]!
    } else if (shape < 0.74) {
      source = `golang-github-${pick(random, golangOrgs)}-${word}`
      binaries = [`${source}-dev`]
      section = 'golang'
      maintainer = debianTeams[3]!
    } else if (shape < 0.8) {
      source = `lib${word}-perl`
      binaries = [source]
      section = 'perl'
      maintainer = debianTeams[1]!
    } else if (shape < 0.84) {
      source = `fonts-${word}`
      binaries = [source]
      section = 'fonts'
      maintainer = debianTeams[6]!
    } else {
      source = random() < 0.5 ? word : `${word}${pick(random, ['-tools', 'd', '-utils', '2', '-client', '-server', 'ctl'])}`
      binaries = [source, ...(random() < 0.35 ? [`${source}-common`] : []), ...(random() < 0.15 ? [`${source}-data`] : [])]
      section = pick(random, ['utils', 'net', 'admin', 'misc', 'web', 'database', 'devel'])
      maintainer = random() < 0.7 ? person(random) : maintainer
    }
    if (sources.has(source) || binaries.some((binary) => seen.has(`linux:${binary}`))) continue
    sources.add(source)
    if (linux.length >= perPlatform) {
      absentDebianSources.push(source)
      continue
    }
    for (const binary of binaries) seen.add(`linux:${binary}`)
    const count = 1 + randomInt(random, random() < 0.3 ? 8 : 4)
    debianSource(builder, linux, source, binaries, debianSeries(random, randomDebianVersion(random), count), 0, section, maintainer)
  }

  const knownNames = new Set<string>()
  for (const product of [...windows, ...macos, ...linux]) {
    knownNames.add(product.name.toLowerCase())
    if (product.source) knownNames.add(product.source.toLowerCase())
  }
  return { entries: builder.entries, windows, macos, linux, absentDebianSources, knownNames, threeCx: { windows: threeCxWindows, macos: threeCxMac } }
}

/** The Debian source of a Linux product and all binaries built from it. */
export function binariesOfSource(catalog: Catalog, source: string): CatalogProduct[] {
  return catalog.linux.filter((product) => product.source === source)
}
