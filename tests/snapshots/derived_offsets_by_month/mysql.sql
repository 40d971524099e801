WITH `t13` AS (
  SELECT
    `t3`.`__p`,
    COALESCE(`t12`.`__n0`, 0) AS `__n0`
  FROM `onpace_periods_3cd52f5ca1a0` AS `t3`
  LEFT OUTER JOIN (
    SELECT
      `t10`.`__p` AS `__g0p`,
      `t10`.`__n0`
    FROM (
      SELECT
        `t9`.`__p`,
        SUM(`t9`.`qty` * `t9`.`price` * (
          1 - `t9`.`discount`
        )) AS `__n0`
      FROM (
        SELECT
          `t8`.`qty`,
          `t8`.`price`,
          `t8`.`discount`,
          `t8`.`__k0`,
          `t8`.`__j0`,
          `t8`.`__d_order_date`,
          `t8`.`__d_order_date` AS `__t`,
          DATE_FORMAT(`t8`.`__d_order_date`, '%Y-%m-01') AS `__p`
        FROM (
          SELECT
            `t6`.`qty`,
            `t6`.`price`,
            `t6`.`discount`,
            `t6`.`__k0`,
            `t7`.`__j0`,
            `t7`.`__d_order_date`
          FROM (
            SELECT
              `t1`.`qty`,
              `t1`.`price`,
              `t1`.`discount`,
              `t1`.`order_id` AS `__k0`
            FROM `onpace_it_order_lines` AS `t1`
          ) AS `t6`
          LEFT OUTER JOIN (
            SELECT
              `t2`.`id` AS `__j0`,
              `t2`.`order_date` AS `__d_order_date`
            FROM `onpace_it_orders` AS `t2`
          ) AS `t7`
            ON `t6`.`__k0` = `t7`.`__j0`
        ) AS `t8`
        WHERE
          `t8`.`__d_order_date` <= DATE('2024-12-31')
          AND `t8`.`__d_order_date` >= DATE('2023-01-01')
      ) AS `t9`
      GROUP BY
        1
    ) AS `t10`
  ) AS `t12`
    ON `t3`.`__p` = `t12`.`__g0p`
), `t19` AS (
  SELECT
    `t18`.`__p`,
    `t18`.`__n0`,
    `t17`.`__ov0` AS `__n1`
  FROM (
    SELECT
      `t14`.`__p`,
      `t14`.`__n0`,
      `t14`.`__p` - INTERVAL '1' MONTH AS `__prior`
    FROM `t13` AS `t14`
  ) AS `t18`
  LEFT OUTER JOIN (
    SELECT
      `t14`.`__p` AS `__op`,
      `t14`.`__n0` AS `__ov0`
    FROM `t13` AS `t14`
  ) AS `t17`
    ON `t18`.`__prior` = `t17`.`__op`
)
SELECT
  `t25`.`__p` AS `period`,
  CAST(`t25`.`__n0` - `t25`.`__n1` AS DOUBLE) AS `revenue_change`,
  (
    CAST(`t25`.`__n0` AS DOUBLE) / IF(`t25`.`__n3` = 0, NULL, CAST(`t25`.`__n3` AS DOUBLE))
  ) - 1 AS `revenue_yoy_growth`
FROM (
  SELECT
    `t24`.`__p`,
    `t24`.`__n0`,
    `t24`.`__n1`,
    `t22`.`__ov0` AS `__n3`
  FROM (
    SELECT
      `t20`.`__p`,
      `t20`.`__n0`,
      `t20`.`__n1`,
      DATE_FORMAT(`t20`.`__p` - INTERVAL '1' YEAR, '%Y-%m-01') AS `__prior`
    FROM `t19` AS `t20`
  ) AS `t24`
  LEFT OUTER JOIN (
    SELECT
      `t20`.`__p` AS `__op`,
      `t20`.`__n0` AS `__ov0`
    FROM `t19` AS `t20`
  ) AS `t22`
    ON `t24`.`__prior` = `t22`.`__op`
) AS `t25`
WHERE
  `t25`.`__p` >= DATE('2024-01-01')
