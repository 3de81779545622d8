import type { Remediation, TaskState } from '../remediation/index.js'
import type { EndpointProgress, RemediationProgress } from './status.js'

const openTaskStates: ReadonlySet<TaskState> = new Set<TaskState>(['pending', 'in_progress'])

/** The status pages' remediation seam, read from the remediation module with the customer's own scope. */
export function remediationProgressFrom(remediation: Pick<Remediation, 'listCampaigns' | 'listTasks'>): RemediationProgress {
  return async (customerId) => {
    const scope = { all: false, customerIds: [customerId] } as const
    const progress: EndpointProgress[] = []
    for (const campaign of (await remediation.listCampaigns(scope, { limit: 100 })).items) {
      const tasks = (await remediation.listTasks(scope, campaign.id, { customerId, limit: 500 })).items
      const byEndpoint = new Map<string, EndpointProgress>()
      for (const task of tasks) {
        const row = byEndpoint.get(task.endpointId) ?? { campaign: campaign.title, endpoint: task.endpoint, hostname: task.hostname, open: 0, done: 0 }
        if (openTaskStates.has(task.state)) row.open += 1
        else row.done += 1
        byEndpoint.set(task.endpointId, row)
      }
      progress.push(...byEndpoint.values())
    }
    return progress
  }
}
