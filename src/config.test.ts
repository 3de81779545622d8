import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ConfigError, loadConfig, publicUrlOf } from './config.js'

describe('configuration', () => {
  it('defaults to SQLite in ./cordon-data on 127.0.0.1:7300', () => {
    const config = loadConfig({})

    assert.equal(config.database.kind, 'sqlite')
    assert.ok(config.database.kind === 'sqlite' && config.database.path.endsWith('/cordon-data/cordon.db'))
    assert.deepEqual(config.http, { host: '127.0.0.1', port: 7300 })
    assert.equal(config.logLevel, 'info')
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.http))
  })

  it('selects PostgreSQL with a postgres:// URL', () => {
    const config = loadConfig({ CORDON_DATABASE_URL: 'postgres://cordon@db.internal:5432/cordon' })

    assert.deepEqual(config.database, { kind: 'postgres', url: 'postgres://cordon@db.internal:5432/cordon', poolSize: 10 })
  })

  it('reports every invalid variable at once, by name', () => {
    const error = (() => {
      try {
        loadConfig({ CORDON_PORT: '70000', CORDON_LOG_LEVEL: 'loud', CORDON_DATABASE_URL: 'mysql://x', CORDON_WORKER_CONCURRENCY: 'many' })
      } catch (caught) {
        return caught
      }
      return undefined
    })()

    assert.ok(error instanceof ConfigError)
    assert.deepEqual(error.problems.map((p) => p.field).sort(), ['CORDON_DATABASE_URL', 'CORDON_LOG_LEVEL', 'CORDON_PORT', 'CORDON_WORKER_CONCURRENCY'])
    assert.match(error.message, /CORDON_PORT: expected an integer from 0 to 65535, got "70000"/)
  })

  it('lets CLI flags override variables, and names the flag when one is wrong', () => {
    const config = loadConfig({ CORDON_PORT: '8000', CORDON_HOST: '0.0.0.0' }, { CORDON_PORT: '9000' })

    assert.equal(config.http.port, 9000)
    assert.equal(config.http.host, '0.0.0.0')
    assert.throws(() => loadConfig({}, { CORDON_PORT: 'abc' }), /--port \(overrides CORDON_PORT\)/)
  })

  it('has no SMTP server and sends as Cordon <cordon@localhost> by default', () => {
    assert.deepEqual(loadConfig({}).mail, { smtpUrl: null, from: 'Cordon <cordon@localhost>' })
  })

  it('reads the SMTP server and sender, and refuses a URL that is not smtp:// or smtps://', () => {
    const config = loadConfig({ CORDON_SMTP_URL: 'smtps://relay:secret@mail.provider.example:465', CORDON_MAIL_FROM: 'SOC <soc@provider.example>' })

    assert.deepEqual(config.mail, { smtpUrl: 'smtps://relay:secret@mail.provider.example:465', from: 'SOC <soc@provider.example>' })
    assert.throws(() => loadConfig({ CORDON_SMTP_URL: 'http://mail.example', CORDON_MAIL_FROM: 'nobody' }), (error: unknown) => {
      assert.ok(error instanceof ConfigError)
      assert.deepEqual(error.problems.map((p) => p.field).sort(), ['CORDON_MAIL_FROM', 'CORDON_SMTP_URL'])
      return true
    })
  })

  it('points links at the listening address unless CORDON_PUBLIC_URL says where people reach the server', () => {
    assert.equal(publicUrlOf(loadConfig({})), 'http://127.0.0.1:7300')
    assert.equal(publicUrlOf(loadConfig({ CORDON_HOST: '::1', CORDON_PORT: '8080' })), 'http://[::1]:8080')
    assert.equal(publicUrlOf(loadConfig({ CORDON_PUBLIC_URL: 'https://soc.provider.example/cordon/' })), 'https://soc.provider.example/cordon')
    assert.equal(publicUrlOf(loadConfig({}, { CORDON_PUBLIC_URL: 'https://status.provider.example' })), 'https://status.provider.example')
    for (const bad of ['ftp://provider.example', 'soc.provider.example', 'https://provider.example/?x=1', 'https://provider.example/#a']) {
      assert.throws(() => loadConfig({ CORDON_PUBLIC_URL: bad }), (error: unknown) => {
        assert.ok(error instanceof ConfigError)
        assert.deepEqual(error.problems.map((p) => p.field), ['CORDON_PUBLIC_URL'])
        return true
      }, bad)
    }
  })

  it('treats an empty variable as unset', () => {
    assert.equal(loadConfig({ CORDON_PORT: '', CORDON_DATABASE_URL: '' }).database.kind, 'sqlite')
  })
})
