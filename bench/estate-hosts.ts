// The estate's customers and machines: names, endpoint counts, hostnames and identifiers, and
// what osquery's os_version and system_info tables say about each machine. Software is chosen in
// estate.ts; this file only says who the machines are.
import { customerWords, pick, pickWeighted, randomHex, randomInt, randomUuid, type EstatePlatform, type Random } from './estate-data.js'

const json = JSON.stringify

export function makeCustomers(random: Random, count: number): Array<{ ref: string; name: string; code: string; weight: number }> {
  const names = new Set<string>()
  const customers: Array<{ ref: string; name: string; code: string; weight: number }> = []
  const width = Math.max(4, String(count).length)
  while (customers.length < count) {
    const first = pick(random, customerWords.first)
    const suffix = pick(random, customerWords.suffix)
    let name = `${first} ${pick(random, customerWords.trade)}${suffix ? ` ${suffix}` : ''}`
    if (names.has(name)) name = `${name} (${pick(random, ['North', 'South', 'East', 'West', 'Central', 'Coastal', 'Metro'])})`
    if (names.has(name)) continue
    names.add(name)
    // Log-normal sizes: many small offices, a few customers with thousands of seats.
    const weight = Math.exp(1.1 * gaussian(random))
    customers.push({ ref: `cust-${String(customers.length + 1).padStart(width, '0')}`, name, code: first.slice(0, 5).toUpperCase(), weight })
  }
  return customers
}

function gaussian(random: Random): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
}

/** Endpoint counts per customer (each at least one when there are enough endpoints), in a shuffled order. */
export function assignEndpoints(random: Random, weights: number[], endpoints: number): { order: Uint32Array; counts: Uint32Array } {
  const total = weights.reduce((sum, weight) => sum + weight, 0)
  const minimum = endpoints >= weights.length ? 1 : 0
  const spare = endpoints - minimum * weights.length
  const counts = Uint32Array.from(weights, (weight) => minimum + Math.floor((spare * weight) / total))
  let assigned = counts.reduce((sum, count) => sum + count, 0)
  for (let i = 0; assigned < endpoints; i = (i + 1) % weights.length, assigned++) counts[i]! += 1
  const order = new Uint32Array(endpoints)
  let at = 0
  counts.forEach((count, customer) => order.fill(customer, at, (at += count)))
  for (let i = endpoints - 1; i > 0; i--) {
    const j = randomInt(random, i + 1)
    const swap = order[i]!
    order[i] = order[j]!
    order[j] = swap
  }
  return { order, counts }
}

export interface OsChoice {
  csv: string
  row: Record<string, string>
}

const windowsEditions: Array<[weight: number, edition: [name: string, build: string, server: boolean]]> = [
  [0.5, ['Microsoft Windows 11 Pro', '22631', false]],
  [0.08, ['Microsoft Windows 11 Enterprise', '22621', false]],
  [0.3, ['Microsoft Windows 10 Pro', '19045', false]],
  [0.04, ['Microsoft Windows 10 Enterprise', '19044', false]],
  [0.04, ['Microsoft Windows Server 2022 Standard', '20348', true]],
  [0.03, ['Microsoft Windows Server 2019 Standard', '17763', true]],
  [0.01, ['Microsoft Windows Server 2016 Datacenter', '14393', true]],
]
const macReleases: Array<[name: string, version: string, build: string]> = [
  ['Sonoma', '14.4.1', '23E224'], ['Sonoma', '14.3.1', '23D60'], ['Sonoma', '14.2.1', '23C71'], ['Ventura', '13.6.6', '22G630'],
  ['Ventura', '13.6.4', '22G513'], ['Monterey', '12.7.4', '21H1123'], ['Big Sur', '11.7.10', '20G1427'],
]
const windowsHardware: Array<[vendor: string, model: string]> = [
  ['Dell Inc.', 'OptiPlex 7080'], ['Dell Inc.', 'OptiPlex 7090'], ['Dell Inc.', 'Latitude 5420'], ['Dell Inc.', 'Latitude 5440'], ['Dell Inc.', 'Precision 3660'],
  ['HP', 'HP EliteBook 840 G8 Notebook PC'], ['HP', 'HP ProDesk 400 G7 Microtower PC'], ['LENOVO', '20XW0026US'], ['LENOVO', '21AH00BEUS'],
  ['Microsoft Corporation', 'Surface Laptop 4'], ['ASUSTeK COMPUTER INC.', 'ExpertBook B1400CEAE'],
]
const serverHardware: Array<[vendor: string, model: string]> = [
  ['VMware, Inc.', 'VMware7,1'], ['Microsoft Corporation', 'Virtual Machine'], ['Dell Inc.', 'PowerEdge R650'], ['HPE', 'ProLiant DL360 Gen10'], ['QEMU', 'Standard PC (Q35 + ICH9, 2009)'],
]
const macHardware = ['MacBookPro18,3', 'MacBookPro18,1', 'MacBookAir10,1', 'Mac14,2', 'Mac14,9', 'Mac15,3', 'iMac21,1', 'Macmini9,1', 'MacBookPro16,1']
const intelCpus = ['Intel(R) Core(TM) i5-10500 CPU @ 3.10GHz', 'Intel(R) Core(TM) i7-1185G7 @ 3.00GHz', 'Intel(R) Core(TM) i5-1145G7 @ 2.60GHz', 'Intel(R) Core(TM) i7-12700 ', '11th Gen Intel(R) Core(TM) i5-1135G7 @ 2.40GHz', 'AMD Ryzen 5 PRO 5650U with Radeon Graphics']
const serverCpus = ['Intel(R) Xeon(R) Silver 4314 CPU @ 2.40GHz', 'Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz', 'AMD EPYC 7313 16-Core Processor', 'Intel Xeon Processor (Cascadelake)']
const appleCpus = ['Apple M1', 'Apple M1 Pro', 'Apple M2', 'Apple M3', 'Intel(R) Core(TM) i7-9750H CPU @ 2.60GHz']
const linuxRoles = ['web', 'app', 'db', 'mail', 'vpn', 'backup', 'docker', 'k8s-node', 'monitor', 'files', 'proxy', 'build', 'dns', 'log']

export interface Host {
  platform: EstatePlatform
  hostname: string
  identifier: string
  os: OsChoice
  systemInfo: string
}

export function makeHost(random: Random, platform: EstatePlatform, code: string, serial: number, startUnix: number): Host {
  const uuid = randomUuid(random)
  const counter = String(serial).padStart(4, '0')
  if (platform === 'windows') {
    const [name, build, server] = pickWeighted(random, windowsEditions)
    const kind = random()
    const hostname = server
      ? `${code}-${pick(random, ['SRV', 'DC', 'FS', 'SQL', 'RDS', 'APP'])}${String(serial).padStart(2, '0')}`
      : kind < 0.5 ? `${code}-WS-${counter}` : kind < 0.75 ? `${code}-LT-${counter}` : `DESKTOP-${randomHex(random, 7).toUpperCase()}`
    const upperUuid = uuid.toUpperCase()
    const [vendor, model] = pick(random, server ? serverHardware : windowsHardware)
    const cores = server ? pick(random, [4, 8, 16]) : pick(random, [4, 6, 8])
    const installDate = new Date((startUnix - randomInt(random, 4 * 365 * 86400)) * 1000).toISOString().replace(/[-:T]/g, '').slice(0, 14)
    return {
      platform,
      hostname,
      identifier: random() < 0.85 || hostname.startsWith('DESKTOP-') ? upperUuid : hostname,
      os: {
        csv: name.replace('Microsoft ', ''),
        row: { arch: '64-bit', build, codename: name, install_date: installDate, major: '10', minor: '0', name, patch: '', platform: 'windows', platform_like: 'windows', version: `10.0.${build}` },
      },
      systemInfo: json({
        board_model: model, board_serial: server ? '' : `/${randomHex(random, 7).toUpperCase()}/CNW${randomInt(random, 1e6)}/`, board_vendor: vendor, board_version: 'A00',
        computer_name: hostname, cpu_brand: pick(random, server ? serverCpus : intelCpus), cpu_logical_cores: String(cores * 2), cpu_microcode: `0x${randomHex(random, 2)}`,
        cpu_physical_cores: String(cores), cpu_sockets: '1', cpu_subtype: '-1', cpu_type: 'x86_64', hardware_model: model, hardware_serial: randomHex(random, 7).toUpperCase(),
        hardware_vendor: vendor, hardware_version: '', hostname, local_hostname: hostname, physical_memory: String(pick(random, [8, 16, 16, 32, 64]) * 1073741824), uuid: upperUuid,
      }),
    }
  }
  if (platform === 'macos') {
    const [release, version, build] = pick(random, macReleases)
    const [major, minor, patch] = version.split('.')
    const cpu = pick(random, appleCpus)
    const arm = cpu.startsWith('Apple')
    const personal = random() < 0.4
    const hostname = personal ? `${pick(random, ['Anna', 'Ben', 'Chloe', 'David', 'Elena', 'Felix', 'Grace', 'Hugo', 'Maya', 'Noah'])}s-MacBook-${pick(random, ['Pro', 'Air'])}` : `${code}-MAC-${counter}`
    const upperUuid = uuid.toUpperCase()
    const model = pick(random, macHardware)
    const serialNumber = randomHex(random, 10).toUpperCase()
    return {
      platform,
      hostname,
      identifier: personal || random() < 0.85 ? upperUuid : hostname,
      os: {
        csv: `macOS ${release} ${version}`,
        row: { arch: arm ? 'arm64' : 'x86_64', build, codename: '', major: major!, minor: minor ?? '0', name: 'macOS', patch: patch ?? '0', platform: 'darwin', platform_like: 'darwin', version },
      },
      systemInfo: json({
        board_model: '', board_serial: '', board_vendor: '', board_version: '', computer_name: hostname.replace(/-/g, ' ').replace('s MacBook', '’s MacBook'), cpu_brand: cpu,
        cpu_logical_cores: arm ? '8' : '12', cpu_microcode: '', cpu_physical_cores: arm ? '8' : '6', cpu_sockets: '', cpu_subtype: arm ? 'ARM64E' : 'Intel x86-64h Haswell',
        cpu_type: arm ? 'arm64e' : 'x86_64h', hardware_model: model, hardware_serial: serialNumber, hardware_vendor: 'Apple Inc.', hardware_version: '', hostname: `${hostname}.local`,
        local_hostname: hostname, physical_memory: String(pick(random, [8, 16, 16, 32]) * 1073741824), uuid: upperUuid,
      }),
    }
  }
  const hostname = `${code.toLowerCase()}-${pick(random, linuxRoles)}-${String(serial).padStart(2, '0')}`
  const [vendor, model] = pick(random, serverHardware)
  const minor = pick(random, ['4', '5', '5', '5'])
  return {
    platform,
    hostname,
    identifier: random() < 0.85 ? uuid : hostname,
    os: {
      csv: 'Debian GNU/Linux 12 (bookworm)',
      row: { arch: 'x86_64', build: '', codename: 'bookworm', major: '12', minor, name: 'Debian GNU/Linux', patch: '0', platform: 'debian', platform_like: '', version: '12 (bookworm)' },
    },
    systemInfo: json({
      board_model: '', board_serial: '', board_vendor: '', board_version: '', computer_name: hostname, cpu_brand: pick(random, serverCpus), cpu_logical_cores: '4',
      cpu_microcode: `0x${randomHex(random, 7)}`, cpu_physical_cores: '2', cpu_sockets: '1', cpu_subtype: '85', cpu_type: 'x86_64', hardware_model: model,
      hardware_serial: vendor === 'Dell Inc.' ? randomHex(random, 7).toUpperCase() : `VMware-${randomHex(random, 16)}`, hardware_vendor: vendor, hardware_version: 'pc-q35-7.2',
      hostname, local_hostname: hostname, physical_memory: String(pick(random, [2, 4, 8, 16]) * 1073741824), uuid,
    }),
  }
}
