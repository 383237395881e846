// The API's answers as the client reads them: types only, from the routes' own schemas, so the
// client loads none of the service (`import type` is erased at build time).
import type { Static } from 'typebox'
import type { Estimates } from '../../http/estimate-schemas.js'
import type { HistoryStored } from '../../http/history-schemas.js'
import type { Report } from '../../http/report-schemas.js'
import type { Job, JobDetail, JobPage, Plan, Quote, Zone } from '../../http/schemas.js'
import type { Work, WorkEstimate } from '../../http/work-schemas.js'

export type QuoteBody = Static<typeof Quote>
export type PlanBody = Static<typeof Plan>
export type JobBody = Static<typeof Job>
export type JobDetailBody = Static<typeof JobDetail>
export type JobPageBody = Static<typeof JobPage>
export type ZoneBody = Static<typeof Zone>
export type ReportBody = Static<typeof Report>
export type EstimatesBody = Static<typeof Estimates>
export type HistoryStoredBody = Static<typeof HistoryStored>
export type WorkBody = Static<typeof Work>
export type WorkEstimateBody = Static<typeof WorkEstimate>
