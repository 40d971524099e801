WITH `t8` AS (
  SELECT
    `t5`.`amount`,
    `t5`.`__d_order_date`,
    `t5`.`__k0`,
    `t7`.`__j0`,
    `t7`.`__d_segment`
  FROM (
    SELECT
      `t1`.`amount`,
      `t1`.`order_date` AS `__d_order_date`,
      `t1`.`customer_id` AS `__k0`
    FROM `onpace_it_orders` AS `t1`
  ) AS `t5`
  LEFT OUTER JOIN (
    SELECT
      `t2`.`id` AS `__j0`,
      CAST(`t2`.`segment` AS CHAR CHARACTER SET utf8mb4) COLLATE utf8mb4_nopad_bin AS `__d_segment`
    FROM `onpace_it_customers` AS `t2`
  ) AS `t7`
    ON `t5`.`__k0` = `t7`.`__j0`
), `t10` AS (
  SELECT
    `t9`.`__d_segment`
  FROM `t8` AS `t9`
  WHERE
    `t9`.`__d_order_date` <= DATE('2024-12-31')
    AND `t9`.`__d_order_date` >= DATE('2024-01-01')
    AND DATE('2024-01-01') >= DATE('2024-01-01')
    AND DATE('2024-01-01') <= DATE('2024-01-01')
), `t15` AS (
  SELECT
    `t12`.`__p`,
    `t12`.`__v`,
    `t12`.`__d_segment`,
    ROW_NUMBER() OVER (
      PARTITION BY `t12`.`__p`, `t12`.`__d_segment`
      ORDER BY CASE WHEN `t12`.`__v` IS NULL THEN 1 ELSE 0 END, `t12`.`__v` ASC
    ) - 1 AS `__r`,
    COUNT(`t12`.`__v`) OVER (
      PARTITION BY `t12`.`__p`, `t12`.`__d_segment`
      ORDER BY CASE WHEN NULL IS NULL THEN 1 ELSE 0 END, NULL ASC
      ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
    ) AS `__n`
  FROM (
    SELECT
      DATE('2024-01-01') AS `__p`,
      CAST(`t9`.`amount` AS DOUBLE) AS `__v`,
      `t9`.`__d_segment`
    FROM `t8` AS `t9`
    WHERE
      `t9`.`__d_order_date` <= DATE('2024-12-31')
      AND `t9`.`__d_order_date` >= DATE('2024-01-01')
      AND CAST(`t9`.`amount` AS DOUBLE) IS NOT NULL
  ) AS `t12`
)
SELECT
  `t25`.`__d_segment` AS `segment`,
  `t25`.`__n0` AS `median_order_amount`,
  `t25`.`__n1` AS `p90_order_amount`
FROM (
  SELECT
    `t3`.`__p`,
    `t14`.`__d_segment`,
    `t23`.`__n0`,
    `t24`.`__n1`
  FROM `onpace_periods_be3cd274cffe` AS `t3`
  CROSS JOIN (
    SELECT
      *
    FROM `t10` AS `t11`
    UNION
    SELECT
      *
    FROM `t10` AS `t11`
  ) AS `t14`
  LEFT OUTER JOIN (
    SELECT
      `t19`.`__p` AS `__g0p`,
      `t19`.`__d_segment` AS `__g0_0`,
      `t19`.`__xlo` + (
        (
          `t19`.`__q` - `t19`.`__l`
        ) * (
          `t19`.`__xhi` - `t19`.`__xlo`
        )
      ) AS `__n0`
    FROM (
      SELECT
        `t17`.`__p`,
        `t17`.`__d_segment`,
        MAX(IF(`t17`.`__r` = `t17`.`__lo`, `t17`.`__v`, NULL)) AS `__xlo`,
        MAX(IF(`t17`.`__r` = `t17`.`__hi`, `t17`.`__v`, NULL)) AS `__xhi`,
        MAX(`t17`.`__pos`) AS `__q`,
        MAX(`t17`.`__lo`) AS `__l`
      FROM (
        SELECT
          `t16`.`__p`,
          `t16`.`__v`,
          `t16`.`__d_segment`,
          `t16`.`__r`,
          `t16`.`__n`,
          CAST(`t16`.`__n` - 1 AS DOUBLE) * 0.5 AS `__pos`,
          CAST(FLOOR(CAST(`t16`.`__n` - 1 AS DOUBLE) * 0.5) AS SIGNED) AS `__lo`,
          CAST(CEIL(CAST(`t16`.`__n` - 1 AS DOUBLE) * 0.5) AS SIGNED) AS `__hi`
        FROM `t15` AS `t16`
      ) AS `t17`
      GROUP BY
        1,
        2
    ) AS `t19`
  ) AS `t23`
    ON `t3`.`__p` = `t23`.`__g0p` AND `t14`.`__d_segment` <=> `t23`.`__g0_0`
  LEFT OUTER JOIN (
    SELECT
      `t20`.`__p` AS `__g1p`,
      `t20`.`__d_segment` AS `__g1_0`,
      `t20`.`__xlo` + (
        (
          `t20`.`__q` - `t20`.`__l`
        ) * (
          `t20`.`__xhi` - `t20`.`__xlo`
        )
      ) AS `__n1`
    FROM (
      SELECT
        `t18`.`__p`,
        `t18`.`__d_segment`,
        MAX(IF(`t18`.`__r` = `t18`.`__lo`, `t18`.`__v`, NULL)) AS `__xlo`,
        MAX(IF(`t18`.`__r` = `t18`.`__hi`, `t18`.`__v`, NULL)) AS `__xhi`,
        MAX(`t18`.`__pos`) AS `__q`,
        MAX(`t18`.`__lo`) AS `__l`
      FROM (
        SELECT
          `t16`.`__p`,
          `t16`.`__v`,
          `t16`.`__d_segment`,
          `t16`.`__r`,
          `t16`.`__n`,
          CAST(`t16`.`__n` - 1 AS DOUBLE) * 0.9 AS `__pos`,
          CAST(FLOOR(CAST(`t16`.`__n` - 1 AS DOUBLE) * 0.9) AS SIGNED) AS `__lo`,
          CAST(CEIL(CAST(`t16`.`__n` - 1 AS DOUBLE) * 0.9) AS SIGNED) AS `__hi`
        FROM `t15` AS `t16`
      ) AS `t18`
      GROUP BY
        1,
        2
    ) AS `t20`
  ) AS `t24`
    ON `t3`.`__p` = `t24`.`__g1p` AND `t14`.`__d_segment` <=> `t24`.`__g1_0`
) AS `t25`
