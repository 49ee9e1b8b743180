import type { ApolloGateway } from '@apollo/gateway';
import { Supergraph } from '@apollo/federation-internals';
import { QueryPlanner } from '@apollo/query-planner';
import { getVariableValues, type GraphQLSchema } from 'graphql';
import type { Logger } from '@shop/server';
import type { RouterContext } from '../context';
import type { ShopDataSource } from '../datasource';
import { SubgraphReplay } from '../sharing';
import { Fallback, type Json } from './fallback';
import { compileOperation, type Prepared, type RequestContext, type SchemaState } from './plan';
import { run } from './run';
import { shapeObject } from './shape';

type ApolloExecutor = ApolloGateway['executor'];
type ExecutionResult = Awaited<ReturnType<ApolloExecutor>>;

/** Operations whose compiled plan is kept (least recently used first out). */
const PLAN_CACHE_ENTRIES = 500;

/**
 * The router's query plan executor: Apollo's QueryPlanner plans, this executes. It does what
 * @apollo/gateway's executeQueryPlan does for the plans our operations get (sequences, parallel
 * groups, flattened entity fetches) with a fraction of its CPU and garbage: the plan and
 * the response's shape are compiled once per operation (representations are written straight to
 * JSON, each distinct one sent once; the response is built by walking precomputed field lists), and
 * there are no tracing spans or usage-reporting trace nodes per fetch.
 *
 * Only successful queries are answered here. Mutations, subscriptions, @defer, @skip/@include,
 * introspection, plans with data rewrites (interface objects, @context), invalid variables, and every
 * request that meets a subgraph error or an invalid value are answered by Apollo's executor, so
 * errors, partial data and null propagation stay exactly Apollo's.
 */
export class PlanExecutor {
  private state: SchemaState | undefined;
  private readonly plans = new Map<string, Prepared | null>();

  /**
   * `shareFetches`: a subgraph request identical to one in flight (same body and Authorization)
   * waits for that one's answer instead of being sent again.
   */
  constructor(
    private readonly sources: ReadonlyMap<string, ShopDataSource>,
    private readonly log: Logger,
    private readonly shareFetches: boolean,
  ) {}

  /** A new supergraph: plan with it from now on (or leave everything to Apollo's if that fails). */
  update(apiSchema: GraphQLSchema, supergraphSdl: string): void {
    this.plans.clear();
    this.state = undefined;
    try {
      const supergraph = Supergraph.build(supergraphSdl);
      this.state = {
        apiSchema,
        fedApiSchema: supergraph.apiSchema(),
        supergraphSchema: supergraph.schema.toGraphQLJSSchema(),
        planner: new QueryPlanner(supergraph),
      };
    } catch (err) {
      this.log.error(
        { err },
        'plan executor cannot use the supergraph; Apollo’s executor answers everything',
      );
    }
  }

  /** The gateway executor: this executor where it can, Apollo's (`fallback`) where it does not. */
  async execute(rc: RequestContext, fallback: ApolloExecutor): Promise<ExecutionResult> {
    const state = this.state;
    const context = rc.context as RouterContext | undefined;
    if (!state || !context || rc.operation.operation !== 'query') return fallback(rc);
    const prepared = this.prepare(state, rc);
    if (!prepared) return fallback(rc);
    const variables = rc.request.variables ?? {};
    if (rc.operation.variableDefinitions?.length) {
      // Apollo's executor reports invalid variables
      const { errors } = getVariableValues(state.apiSchema, rc.operation.variableDefinitions, variables);
      if (errors) return fallback(rc);
    }
    // from now on every subgraph answer is kept with the request, for Apollo's executor to replay
    context.replay ??= new SubgraphReplay();
    const data: Json = {};
    try {
      if (prepared.root) await run(prepared.root, { data, variables, context, share: this.shareFetches });
      return { data: shapeObject(data, prepared.shape) };
    } catch (error) {
      if (error instanceof Fallback) {
        this.log.debug(
          { operationName: rc.operationName, reason: error.message },
          'answered by Apollo’s executor',
        );
      } else {
        this.log.warn(
          { err: error, operationName: rc.operationName },
          'plan executor failed; answered by Apollo’s',
        );
      }
      return fallback(rc);
    }
  }

  private prepare(state: SchemaState, rc: RequestContext): Prepared | null {
    const key = `${rc.queryHash}\n${rc.operationName ?? ''}`;
    const cached = this.plans.get(key);
    if (cached !== undefined) {
      // least recently used first out: move the hit to the end
      this.plans.delete(key);
      this.plans.set(key, cached);
      return cached;
    }
    let prepared: Prepared | null;
    try {
      prepared = compileOperation(state, rc, this.sources, this.log);
    } catch (error) {
      this.log.warn(
        { err: error, operationName: rc.operationName },
        'plan executor cannot compile; using Apollo’s',
      );
      prepared = null;
    }
    this.plans.set(key, prepared);
    if (this.plans.size > PLAN_CACHE_ENTRIES) this.plans.delete(this.plans.keys().next().value!);
    return prepared;
  }
}
